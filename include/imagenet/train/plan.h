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
  int64_t total_batch = 0;    ///< batch_size x world size
  double lr_scale = 1.0;      ///< total_batch / 256 with linear scaling, else 1
  double effective_lr = 0.0;  ///< lr x lr_scale
  int64_t steps_per_epoch = 0;
  int64_t total_steps = 0;
  int64_t warmup_steps = 0;
  LrSchedule schedule;

  /// One line for the log: world size, batches and the effective LR.
  std::string describe() const;
};

/// steps_per_epoch: training batches per epoch on each rank (after limit_train_batches).
TrainingPlan make_training_plan(const Config& config, int world_size, int64_t steps_per_epoch);

}  // namespace imagenet
