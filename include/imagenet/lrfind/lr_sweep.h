// The LR finder's sweep as Lightning runs it (tuner/lr_finder.py, see
// ../shared/reference/lightning.md section 4.3): the per-step LR ramp from min_lr to max_lr,
// the bias-corrected smoothing of the training loss, and the stop when the loss diverges.
// Pure; tests/lrfind/lr_sweep_test.cpp pins it to tests/golden/lr_finder.py.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

enum class LrSweepMode { kExponential, kLinear };

struct LrSweepOptions {
  /// Optimizer LR of the first step (the effective LR, not the config's per-256 `lr`).
  double min_lr = 1e-8;
  /// Optimizer LR of the last step.
  double max_lr = 1.0;
  /// Optimizer steps of the sweep.
  int64_t num_training = 100;
  LrSweepMode mode = LrSweepMode::kExponential;
  /// Weight of the running average of the loss (Lightning's beta).
  double beta = 0.98;
  /// Stop once the smoothed loss exceeds this many times the best one; 0 never stops.
  double early_stop_threshold = 4.0;
};

/// Throws UsageError naming the flag (--min_lr, --max_lr, ...) when an option is out of range.
void check_lr_sweep_options(const LrSweepOptions& options);

/// LR of the 0-based step k: min_lr at k = 0, then min_lr * (max_lr / min_lr)^((k + 1) / N)
/// (exponential) or min_lr + (k + 1) / N * (max_lr - min_lr) (linear). The (k + 1) is
/// Lightning's: its schedulers return the base LR while last_epoch == 0 and then use
/// last_epoch + 1, so step 1 already has r = 2 / N and the last step reaches max_lr.
double lr_sweep_lr(const LrSweepOptions& options, int64_t k);

const char* to_string(LrSweepMode mode);

/// One step of a sweep, as lr_find.csv holds it.
struct LrSweepPoint {
  int64_t step = 0;          ///< 0-based optimizer step
  double lr = 0;             ///< optimizer LR of the step
  double loss = 0;           ///< training loss of the step (before its update)
  double smoothed_loss = 0;  ///< bias-corrected running average
};

/// Why a sweep ended.
enum class LrSweepEnd {
  kRunning,    ///< not ended yet
  kFinished,   ///< all num_training steps ran
  kDiverged,   ///< the smoothed loss exceeded early_stop_threshold x the best one
  kNonFinite,  ///< the loss was NaN or infinite (the weights are lost)
  kStopped,    ///< stopped from outside (a signal)
};

/// The bookkeeping of one sweep: which LR comes next, the smoothed losses, when to stop.
class LrSweep {
 public:
  explicit LrSweep(LrSweepOptions options);

  /// True once the sweep has ended, for whatever reason.
  bool done() const { return end_ != LrSweepEnd::kRunning; }
  /// LR of the next step to run.
  double next_lr() const;
  /// Records the training loss of the step just run at next_lr(): updates the running average
  /// (avg = beta avg + (1 - beta) loss; smoothed = avg / (1 - beta^(s + 1)) with s the number
  /// of steps so far, Lightning's global_step) and decides whether to go on. A diverging step
  /// is kept as the last point, as Lightning keeps it. Returns !done().
  bool record(double loss);
  /// Ends the sweep from outside (kStopped).
  void stop() { end_ = LrSweepEnd::kStopped; }

  const LrSweepOptions& options() const { return options_; }
  const std::vector<LrSweepPoint>& points() const { return points_; }
  LrSweepEnd end() const { return end_; }
  /// Lowest smoothed loss so far (the divergence reference).
  double best_loss() const { return best_loss_; }
  /// One sentence on how the sweep ended, e.g. "stopped early at step 37 of 100 (lr 0.53):
  /// the smoothed loss 9.12 exceeded 4 x the best 2.28".
  std::string describe_end() const;

 private:
  LrSweepOptions options_;
  std::vector<LrSweepPoint> points_;
  double average_ = 0;  // Lightning starts the running average at 0; the bias correction
                        // divides that start out
  double best_loss_ = 0;
  LrSweepEnd end_ = LrSweepEnd::kRunning;
};

}  // namespace imagenet
