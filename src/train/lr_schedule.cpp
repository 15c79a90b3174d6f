// Implements train/lr_schedule.h.
#include "imagenet/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace imagenet {

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps) {
    // LinearLR: factor goes from start_factor to 1 over warmup_steps steps.
    double t = static_cast<double>(step) / static_cast<double>(warmup_steps);
    return base_lr * (warmup_start_factor + (1.0 - warmup_start_factor) * t);
  }
  if (!milestones.empty()) {
    // MultiStepLR: one factor of gamma per milestone reached (bisect_right).
    const auto passed =
        std::upper_bound(milestones.begin(), milestones.end(), step) - milestones.begin();
    return base_lr * std::pow(gamma, static_cast<double>(passed));
  }
  if (kind == LrScheduler::kConstant) return base_lr;
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  const double t = std::min(1.0, static_cast<double>(step - warmup_steps) / decay_steps);
  return lr_min + (base_lr - lr_min) * 0.5 * (1.0 + std::cos(M_PI * t));
}

std::vector<int64_t> step_lr_milestones(int64_t step_size, int64_t total_steps) {
  std::vector<int64_t> milestones;
  for (int64_t m = step_size; step_size > 0 && m < total_steps; m += step_size)
    milestones.push_back(m);
  return milestones;
}

}  // namespace imagenet
