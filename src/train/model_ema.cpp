// Implements train/model_ema.h after timm/utils/model_ema.py (ModelEmaV3.get_decay,
// apply_update_ without lerp) and torchvision's references/classification/train.py
// (the adjusted decay, i % model_ema_steps == 0).
#include "imagenet/train/model_ema.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "imagenet/util/error.h"

namespace imagenet {

double timm_ema_decay(double decay, bool warmup, int64_t step, double warmup_gamma,
                      double warmup_power, double min_decay) {
  const int64_t s = std::max<int64_t>(0, step - 1);  // update_after_step 0
  if (s <= 0) return 0.0;
  if (!warmup) return decay;
  const double d = 1 - std::pow(1 + static_cast<double>(s) / warmup_gamma, -warmup_power);
  return std::max(std::min(d, decay), min_decay);
}

double torchvision_ema_decay(double decay, int64_t global_batch, int64_t update_every,
                             int64_t epochs) {
  const double adjust = static_cast<double>(global_batch) * static_cast<double>(update_every) /
                        static_cast<double>(epochs);
  const double alpha = std::min(1.0, (1.0 - decay) * adjust);
  return 1.0 - alpha;
}

bool torchvision_ema_due(int64_t step_in_epoch, int64_t update_every) {
  return update_every <= 1 || step_in_epoch % update_every == 0;
}

ModelEma::ModelEma(std::vector<std::string> names, std::vector<at::Tensor> average)
    : names_(std::move(names)), average_(std::move(average)) {
  IMAGENET_CHECK(names_.size() == average_.size(), "names and tensors differ in size");
  for (size_t i = 0; i < average_.size(); ++i)
    (average_[i].is_floating_point() ? floating_ : integral_).push_back(i);
}

void ModelEma::update(const std::vector<at::Tensor>& model, double decay) {
  at::NoGradGuard no_grad;
  IMAGENET_CHECK(model.size() == average_.size(), "the EMA has ", average_.size(),
                 " tensors, the model ", model.size());
  std::vector<at::Tensor> ema, values;
  for (size_t i : floating_) {
    ema.push_back(average_[i]);
    values.push_back(model[i].detach());
  }
  if (!ema.empty()) {
    if (decay == 0.0) {
      for (size_t k = 0; k < ema.size(); ++k) ema[k].copy_(values[k]);
    } else {
      at::_foreach_mul_(ema, decay);
      at::_foreach_add_(ema, values, 1.0 - decay);
    }
  }
  for (size_t i : integral_) average_[i].copy_(model[i]);
  ++num_updates_;
}

std::map<std::string, at::Tensor> ModelEma::state() const {
  std::map<std::string, at::Tensor> out;
  for (size_t i = 0; i < names_.size(); ++i) out[names_[i]] = average_[i];
  out["num_updates"] = at::scalar_tensor(num_updates_, at::kLong);
  return out;
}

void ModelEma::load_state(const std::map<std::string, at::Tensor>& state) {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) {
    auto it = state.find(names_[i]);
    IMAGENET_CHECK(it != state.end(), "the checkpoint's EMA has no ", names_[i]);
    IMAGENET_CHECK(it->second.sizes() == average_[i].sizes(), "the checkpoint's EMA ", names_[i],
                   " has shape ", it->second.sizes(), ", the model ", average_[i].sizes());
    average_[i].copy_(it->second);
  }
  auto count = state.find("num_updates");
  IMAGENET_CHECK(count != state.end(), "the checkpoint's EMA has no num_updates");
  num_updates_ = count->second.item<int64_t>();
  IMAGENET_CHECK(state.size() == names_.size() + 1, "the checkpoint's EMA has ", state.size() - 1,
                 " tensors, the model ", names_.size());
}

}  // namespace imagenet
