// Implements train/ema_tracker.h.
#include "imagenet/train/ema_tracker.h"

#include <ATen/core/grad_mode.h>

#include "imagenet/checkpoint/model_state.h"

namespace imagenet {
namespace {

/// The parameters then the buffers of `model`, named, in registration order.
void named_tensors(ResNet& model, std::vector<std::string>* names,
                   std::vector<at::Tensor>* tensors) {
  for (const auto& p : model->named_parameters()) {
    if (names) names->push_back(p.key());
    tensors->push_back(p.value());
  }
  for (const auto& b : model->named_buffers()) {
    if (names) names->push_back(b.key());
    tensors->push_back(b.value());
  }
}

}  // namespace

EmaTracker::EmaTracker(const EmaConfig& config, ResNet& model, int64_t global_batch, int64_t epochs,
                       double warmup_epochs)
    : config_(config), warmup_epochs_(warmup_epochs) {
  if (config.model_ema_steps > 0)
    torchvision_decay_ =
        torchvision_ema_decay(config.model_ema_decay, global_batch, config.model_ema_steps, epochs);
  ResNetOptions options = model->options();
  options.drop_path_rate = 0.0;  // evaluated only
  ema_model_ = ResNet(options);
  const at::Tensor first = model->parameters().front();
  ema_model_->to(first.device());
  {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> from, to;
    named_tensors(model, nullptr, &from);
    named_tensors(ema_model_, nullptr, &to);
    for (size_t i = 0; i < to.size(); ++i) to[i].set_data(from[i].detach().clone());
  }
  for (auto& p : ema_model_->parameters()) p.set_requires_grad(false);
  ema_model_->eval();
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
  named_tensors(ema_model_, &names, &tensors);
  ema_ = std::make_unique<ModelEma>(std::move(names), std::move(tensors));
}

double EmaTracker::decay_for(int64_t global_step, int64_t step_in_epoch, int64_t epoch) const {
  if (config_.model_ema_steps <= 0)
    return timm_ema_decay(config_.model_ema_decay, config_.model_ema_warmup, global_step);
  // torchvision zeroes n_averaged after every update in an epoch < lr_warmup_epochs, so the
  // update after it copies; the first update of an epoch follows one of the epoch before.
  if (ema_->num_updates() == 0) return 0.0;
  const int64_t previous_epoch = step_in_epoch < config_.model_ema_steps ? epoch - 1 : epoch;
  return static_cast<double>(previous_epoch) < warmup_epochs_ ? 0.0 : torchvision_decay_;
}

void EmaTracker::after_step(ResNet& model, int64_t global_step, int64_t step_in_epoch,
                            int64_t epoch) {
  if (config_.model_ema_steps > 0 && !torchvision_ema_due(step_in_epoch, config_.model_ema_steps))
    return;
  const double decay = decay_for(global_step, step_in_epoch, epoch);
  std::vector<at::Tensor> tensors;
  named_tensors(model, nullptr, &tensors);
  ema_->update(tensors, decay);
}

std::map<std::string, at::Tensor> EmaTracker::state_dict() const {
  return model_state(*ema_model_);
}

void EmaTracker::load(const std::map<std::string, at::Tensor>& state_dict, int64_t num_updates,
                      const std::string& origin) {
  load_model_state(*ema_model_, state_dict, origin);
  // The tensors are already in place; load_state takes the count with them.
  std::map<std::string, at::Tensor> state = ema_->state();
  state["num_updates"] = at::scalar_tensor(num_updates, at::kLong);
  ema_->load_state(state);
}

}  // namespace imagenet
