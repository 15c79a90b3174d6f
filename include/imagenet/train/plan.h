// The numbers a run derives from its config and data, computed once, in one place: world
// size, batches, the effective learning rate, steps per epoch and the LR schedule.
#pragma once

#include <cstdint>
#include <string>

#include "imagenet/config/config.h"
#include "imagenet/train/lr_schedule.h"

namespace imagenet {

struct TrainingPlan {
  int world_size = 1;
  int per_device_batch = 0;
  int accumulate = 1;       ///< accumulate_grad_batches: micro-batches per optimizer step
  int64_t total_batch = 0;  ///< batch_size x world size x accumulate: images per update
  /// lr_scaling with auto resolved: linear or sqrt of total_batch / lr_base_size, or none.
  LrScaling lr_rule = LrScaling::kLinear;
  double lr_scale = 1.0;      ///< total_batch / lr_base_size, its sqrt, or 1 (lr_rule)
  double effective_lr = 0.0;  ///< lr x lr_scale
  int64_t steps_per_epoch = 0;
  int64_t epochs = 0;       ///< epochs + cooldown_epochs: what the run trains
  int64_t total_steps = 0;  ///< steps of the schedule (`epochs` without the cooldown)
  int64_t warmup_steps = 0;
  LrSchedule schedule;

  /// One line for the log: world size, batches and the effective LR.
  std::string describe() const;
};

/// lr_scaling's rule for the config's optimizer: auto is linear for sgd, sqrt for adamw and lamb
/// (timm's rule).
LrScaling resolved_lr_scaling(const OptimConfig& optim);

/// steps_per_epoch: optimizer steps per epoch on each rank (training batches after
/// limit_train_batches, in groups of accumulate_grad_batches).
TrainingPlan make_training_plan(const Config& config, int world_size, int64_t steps_per_epoch);

}  // namespace imagenet
