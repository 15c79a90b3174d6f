// The learning-rate schedule as a pure function of the optimizer step: linear warmup, then
// cosine decay (or constant). Equal to PyTorch's SequentialLR(LinearLR(start_factor,
// total_iters=warmup), CosineAnnealingLR(T_max=total-warmup, eta_min), milestones=[warmup])
// stepped once per optimizer step; tests/train/lr_schedule_test.cpp pins it to PyTorch.
#pragma once

#include <cstdint>

#include "imagenet/config/config.h"

namespace imagenet {

struct LrSchedule {
  LrScheduler kind = LrScheduler::kCosine;
  double base_lr = 0.1;  ///< the effective (scaled) LR
  double lr_min = 0.0;
  double warmup_start_factor = 0.01;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  /// LR of optimizer step `step` (0-based).
  double at(int64_t step) const;
};

}  // namespace imagenet
