// The LR finder's suggestion (Lightning's _LRFinder.suggestion): the LR where the smoothed loss
// falls fastest, skipping the first and last points. Two slope rules, because Lightning has
// had both: the derivative against the LR values (2.5.3 and later) and against the step index
// (before; better on noisy curves, Lightning issue #21141). Pure; pinned to numpy.gradient by
// tests/lrfind/lr_suggestion_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

/// What the loss is differentiated against.
enum class LrSlope {
  kLr,     ///< the LR values: torch.gradient(losses, spacing=[lrs]) (Lightning >= 2.5.3)
  kIndex,  ///< the step index: np.gradient(losses) (Lightning before 2.5.3)
};

const char* to_string(LrSlope slope);

struct LrSuggestionOptions {
  LrSlope slope = LrSlope::kLr;
  /// Points left out at the start (early spikes fool the rule, Lightning issue #1767).
  int64_t skip_begin = 10;
  /// Points left out at the end (the diverging step). 0 leaves none out.
  int64_t skip_end = 1;
};

/// numpy.gradient(values, coordinates) with edge_order 1: second-order central differences
/// for non-uniform spacing inside, one-sided differences at the two ends. Empty coordinates
/// mean unit spacing (the index). Needs at least 2 values; coordinates strictly increasing.
std::vector<double> numpy_gradient(const std::vector<double>& values,
                                   const std::vector<double>& coordinates = {});

struct LrSuggestion {
  bool found = false;
  int64_t index = -1;       ///< step of the suggested LR in the whole sweep
  double lr = 0;            ///< the suggested (effective) LR
  double slope = 0;         ///< the steepest (most negative) gradient
  int64_t points_used = 0;  ///< finite points inside the window
  std::string reason;       ///< why there is no suggestion, when !found
};

/// The suggestion for a sweep's (lr, smoothed loss) points: the window [skip_begin, n -
/// skip_end), its non-finite losses dropped, differentiated by `options.slope`, and the LR at
/// the first minimum of the gradient. Not found when fewer than 2 points remain. Unlike
/// Lightning before 2.5.3, the index maps back to the right LR when non-finite losses were
/// dropped (Lightning shifted it by the number dropped).
LrSuggestion suggest_lr(const std::vector<double>& lrs, const std::vector<double>& losses,
                        const LrSuggestionOptions& options);

}  // namespace imagenet
