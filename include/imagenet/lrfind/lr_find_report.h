// What the LR finder leaves behind: lr_find.csv (step, lr, loss, smoothed loss), lr_find.png
// (the smoothed loss against the LR on a log axis, the suggestion marked) and the lines it
// prints. Pure apart from writing the two files; no torch.
#pragma once

#include <string>
#include <vector>

#include "imagenet/logging/plot.h"
#include "imagenet/lrfind/lr_suggestion.h"
#include "imagenet/lrfind/lr_sweep.h"

namespace imagenet {

/// A sweep, how it ended and its suggestion.
struct LrFindReport {
  LrSweepOptions sweep;
  LrSuggestionOptions rule;
  std::vector<LrSweepPoint> points;
  LrSweepEnd end = LrSweepEnd::kRunning;
  LrSuggestion suggestion;
  /// effective LR = config lr x lr_scale (total batch / 256 with lr_scaling: linear).
  double lr_scale = 1.0;
  /// For the title, e.g. "resnet18, total batch 128".
  std::string run_description;

  /// The suggestion as the config's per-256 `lr` (effective / lr_scale).
  double suggested_base_lr() const { return suggestion.lr / lr_scale; }
};

/// The LRs and smoothed losses of `points`, for suggest_lr.
std::vector<double> sweep_lrs(const std::vector<LrSweepPoint>& points);
std::vector<double> sweep_smoothed_losses(const std::vector<LrSweepPoint>& points);

/// lr_find.csv: a header `step,lr,loss,smoothed_loss` and one row per step (shortest
/// round-trip numbers; nan and inf as such).
std::string lr_find_csv(const std::vector<LrSweepPoint>& points);

/// The chart of lr_find.png: the smoothed loss (and, faint, the per-step loss) against the LR
/// on a log axis, the left-out points shaded, the suggestion marked with both LR values.
LineChart lr_find_chart(const LrFindReport& report);

/// Writes <dir>/lr_find.csv and <dir>/lr_find.png (each atomically); returns their paths.
std::vector<std::string> write_lr_find_outputs(const std::string& dir, const LrFindReport& report);

/// A value for a config file: 3 significant digits ("0.357", "0.00123"), plenty for a sweep
/// whose steps are several percent apart.
std::string format_lr_for_config(double lr);

}  // namespace imagenet
