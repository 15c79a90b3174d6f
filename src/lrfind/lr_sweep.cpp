// Implements lrfind/lr_sweep.h.
#include "imagenet/lrfind/lr_sweep.h"

#include <cmath>

#include "imagenet/util/error.h"

namespace imagenet {

void check_lr_sweep_options(const LrSweepOptions& o) {
  IMAGENET_USAGE_CHECK(std::isfinite(o.min_lr) && o.min_lr > 0, "--min_lr ",
                       format_number(o.min_lr),
                       ": must be greater than 0 (the sweep is drawn on a log axis).");
  IMAGENET_USAGE_CHECK(std::isfinite(o.max_lr) && o.max_lr > o.min_lr, "--max_lr ",
                       format_number(o.max_lr), ": must be greater than --min_lr ",
                       format_number(o.min_lr), ".");
  IMAGENET_USAGE_CHECK(o.num_training >= 1, "--num_training ", o.num_training,
                       ": must be at least 1 step.");
  IMAGENET_USAGE_CHECK(o.beta >= 0 && o.beta < 1, "--beta ", format_number(o.beta),
                       ": must be in [0, 1) (Lightning uses 0.98).");
  IMAGENET_USAGE_CHECK(o.early_stop_threshold == 0 || o.early_stop_threshold > 1,
                       "--early_stop_threshold ", format_number(o.early_stop_threshold),
                       ": must be greater than 1 (Lightning's default is 4), or none to sweep "
                       "the whole range.");
}

double lr_sweep_lr(const LrSweepOptions& o, int64_t k) {
  if (k <= 0) return o.min_lr;
  const double r = static_cast<double>(k + 1) / static_cast<double>(o.num_training);
  if (o.mode == LrSweepMode::kExponential) return o.min_lr * std::pow(o.max_lr / o.min_lr, r);
  return o.min_lr + r * (o.max_lr - o.min_lr);
}

const char* to_string(LrSweepMode mode) {
  return mode == LrSweepMode::kExponential ? "exponential" : "linear";
}

LrSweep::LrSweep(LrSweepOptions options) : options_(options) {
  points_.reserve(static_cast<size_t>(options_.num_training));
}

double LrSweep::next_lr() const {
  return lr_sweep_lr(options_, static_cast<int64_t>(points_.size()));
}

bool LrSweep::record(double loss) {
  IMAGENET_CHECK(!done(), "LrSweep::record after the sweep ended");
  LrSweepPoint point;
  point.step = static_cast<int64_t>(points_.size());
  point.lr = next_lr();
  point.loss = loss;
  // s: optimizer steps done, counting this one (Lightning's global_step after the step).
  const int64_t s = point.step + 1;
  const double beta = options_.beta;
  average_ = beta * average_ + (1 - beta) * loss;
  point.smoothed_loss = average_ / (1 - std::pow(beta, static_cast<double>(s + 1)));
  points_.push_back(point);

  // Lightning checks divergence against the best loss before this step, then updates it.
  const double threshold = options_.early_stop_threshold;
  const bool diverged = threshold > 0 && s > 1 && point.smoothed_loss > threshold * best_loss_;
  if (point.smoothed_loss < best_loss_ || s == 1) best_loss_ = point.smoothed_loss;

  // A sweep that diverges at its last step still ran every step (Lightning reports no early
  // stop then). A NaN loss never compares greater, so Lightning would sweep on with NaN
  // weights; they are lost at that point, so the sweep ends here.
  if (s >= options_.num_training) {
    end_ = LrSweepEnd::kFinished;
  } else if (!std::isfinite(loss)) {
    end_ = LrSweepEnd::kNonFinite;
  } else if (diverged) {
    end_ = LrSweepEnd::kDiverged;
  }
  return !done();
}

std::string LrSweep::describe_end() const {
  const int64_t n = options_.num_training;
  const int64_t steps = static_cast<int64_t>(points_.size());
  std::string where = points_.empty() ? std::string()
                                      : str_cat(" at step ", steps, " of ", n, " (lr ",
                                                str_printf("%.3g", points_.back().lr), ")");
  switch (end_) {
    case LrSweepEnd::kRunning:
      return str_cat("running: ", steps, " of ", n, " steps done");
    case LrSweepEnd::kFinished:
      return str_cat("finished all ", n, " steps, from lr ", format_number(options_.min_lr), " to ",
                     format_number(options_.max_lr));
    case LrSweepEnd::kDiverged:
      return str_cat("stopped early", where, ": the smoothed loss ",
                     str_printf("%.4g", points_.back().smoothed_loss), " exceeded ",
                     format_number(options_.early_stop_threshold), " x the best ",
                     str_printf("%.4g", best_loss_), " (the loss diverged)");
    case LrSweepEnd::kNonFinite:
      return str_cat("stopped early", where, ": the training loss became ",
                     format_number(points_.back().loss), " (the loss diverged)");
    case LrSweepEnd::kStopped:
      return str_cat("stopped early", where, " by a signal");
  }
  return "";
}

}  // namespace imagenet
