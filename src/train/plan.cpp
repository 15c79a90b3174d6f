// Implements train/plan.h.
#include "imagenet/train/plan.h"

#include <cmath>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {

TrainingPlan make_training_plan(const Config& config, int world_size, int64_t steps_per_epoch) {
  IMAGENET_CHECK(steps_per_epoch > 0, "no training steps per epoch");
  TrainingPlan plan;
  plan.world_size = world_size;
  plan.per_device_batch = config.train.batch_size;
  plan.total_batch = static_cast<int64_t>(config.train.batch_size) * world_size;
  plan.lr_scale = config.optim.lr_scaling == LrScaling::kLinear ? plan.total_batch / 256.0 : 1.0;
  plan.effective_lr = config.optim.lr * plan.lr_scale;
  plan.steps_per_epoch = steps_per_epoch;
  plan.total_steps = steps_per_epoch * config.train.epochs;
  plan.warmup_steps =
      static_cast<int64_t>(std::llround(config.optim.warmup_epochs * steps_per_epoch));
  plan.schedule.kind = config.optim.lr_scheduler;
  plan.schedule.base_lr = plan.effective_lr;
  plan.schedule.lr_min = config.optim.lr_min;
  plan.schedule.warmup_start_factor = config.optim.warmup_start_factor;
  plan.schedule.warmup_steps = plan.warmup_steps;
  plan.schedule.total_steps = plan.total_steps;
  return plan;
}

std::string TrainingPlan::describe() const {
  return str_cat("world size ", world_size, ", batch ", per_device_batch, " per device, total ",
                 total_batch, "; lr ", format_number(effective_lr / lr_scale), " x ",
                 format_number(lr_scale), " = ", format_number(effective_lr), " effective; ",
                 steps_per_epoch, " steps per epoch, ", total_steps, " in all, ", warmup_steps,
                 " of warmup");
}

}  // namespace imagenet
