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
  plan.accumulate = config.train.accumulate_grad_batches;
  plan.total_batch = static_cast<int64_t>(config.train.batch_size) * world_size * plan.accumulate;
  plan.lr_rule = resolved_lr_scaling(config.optim);
  const double batch_ratio =
      static_cast<double>(plan.total_batch) / static_cast<double>(config.optim.lr_base_size);
  plan.lr_scale = plan.lr_rule == LrScaling::kLinear ? batch_ratio
                  : plan.lr_rule == LrScaling::kSqrt ? std::sqrt(batch_ratio)
                                                     : 1.0;
  plan.effective_lr = config.optim.lr * plan.lr_scale;
  plan.steps_per_epoch = steps_per_epoch;
  plan.epochs = config.train.epochs + config.optim.cooldown_epochs;
  // The schedule spans `epochs`; the cooldown epochs after it stay at its final LR.
  plan.total_steps = steps_per_epoch * config.train.epochs;
  plan.warmup_steps =
      static_cast<int64_t>(std::llround(config.optim.warmup_epochs * steps_per_epoch));
  plan.schedule.kind = config.optim.lr_scheduler;
  plan.schedule.base_lr = plan.effective_lr;
  plan.schedule.lr_min = config.optim.lr_min;
  plan.schedule.warmup_start_factor = config.optim.warmup_start_factor;
  plan.schedule.warmup_steps = plan.warmup_steps;
  plan.schedule.total_steps = plan.total_steps;
  const std::vector<int>& at_epochs = config.optim.lr_step_epochs;
  if (config.optim.lr_scheduler == LrScheduler::kStep && !at_epochs.empty()) {
    plan.schedule.milestones = step_lr_milestones(at_epochs[0] * steps_per_epoch, plan.total_steps);
  } else if (config.optim.lr_scheduler == LrScheduler::kMultiStep) {
    for (int e : at_epochs) plan.schedule.milestones.push_back(e * steps_per_epoch);
  }
  plan.schedule.gamma = config.optim.lr_gamma;
  return plan;
}

LrScaling resolved_lr_scaling(const OptimConfig& optim) {
  if (optim.lr_scaling != LrScaling::kAuto) return optim.lr_scaling;
  return optim.optimizer == OptimizerKind::kSgd ? LrScaling::kLinear : LrScaling::kSqrt;
}

std::string TrainingPlan::describe() const {
  return str_cat("world size ", world_size, ", batch ", per_device_batch, " per device",
                 accumulate > 1 ? str_cat(" x ", accumulate, " accumulated") : std::string(),
                 ", total ", total_batch, "; lr ", format_number(effective_lr / lr_scale), " x ",
                 format_number(lr_scale), " (", to_string(lr_rule),
                 " scaling) = ", format_number(effective_lr), " effective; ", steps_per_epoch,
                 " steps per epoch, ", total_steps, " in all, ", warmup_steps, " of warmup");
}

}  // namespace imagenet
