// The learning-rate schedule as a pure function of the optimizer step: linear warmup, then
// cosine decay, constant, or step decay at milestones. Equal to PyTorch's
// SequentialLR(LinearLR(start_factor, total_iters=warmup), CosineAnnealingLR(T_max=total-warmup,
// eta_min) or MultiStepLR(milestones - warmup, gamma), milestones=[warmup]) stepped once per
// optimizer step; tests/train/lr_schedule_test.cpp pins it to PyTorch.
#pragma once

#include <cstdint>
#include <vector>

#include "imagenet/config/config.h"

namespace imagenet {

struct LrSchedule {
  LrScheduler kind = LrScheduler::kCosine;
  double base_lr = 0.1;  ///< the effective (scaled) LR
  double lr_min = 0.0;
  double warmup_start_factor = 0.01;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  /// Step decay (StepLR / MultiStepLR): when set, the LR after the warmup is base_lr times
  /// gamma^(number of milestones <= step) instead of `kind`'s decay. Optimizer steps counted
  /// from the start of training, warmup included (timm's step schedulers count so), sorted.
  std::vector<int64_t> milestones;
  double gamma = 0.1;

  /// LR of optimizer step `step` (0-based). Past total_steps (timm's cooldown epochs) the LR
  /// stays where the decay ended: lr_min for cosine.
  double at(int64_t step) const;
};

/// StepLR's milestones: every `step_size` steps, below `total_steps`.
std::vector<int64_t> step_lr_milestones(int64_t step_size, int64_t total_steps);

}  // namespace imagenet
