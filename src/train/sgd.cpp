// Implements train/sgd.h following torch/optim/sgd.py (_multi_tensor_sgd).
#include "imagenet/train/sgd.h"

#include <ATen/core/grad_mode.h>

#include "imagenet/train/torch_compat.h"
#include "imagenet/util/error.h"

namespace imagenet {

Sgd::Sgd(std::vector<ParamGroup> groups, Options options)
    : Optimizer(std::move(groups), options.lr), options_(options) {
  for (const auto& group : groups_) buffers_.emplace_back(group.params.size());
}

void Sgd::step() {
  at::NoGradGuard no_grad;
  if (!groups_.empty() && !groups_[0].params.empty() &&
      compat::fused_sgd_available(groups_[0].params[0].device())) {
    step_fused(nullptr, at::Tensor());
    return;
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    std::vector<at::Tensor> params, grads, bufs;
    for (size_t i = 0; i < group.params.size(); ++i) {
      const at::Tensor& grad = group.params[i].grad();
      if (!grad.defined()) continue;
      params.push_back(group.params[i]);
      grads.push_back(grad);
    }
    if (params.empty()) continue;
    // d_p = grad + weight_decay * param (out of place: the gradients stay as computed).
    if (group.weight_decay != 0.0) grads = at::_foreach_add(grads, params, group.weight_decay);
    if (options_.momentum != 0.0) {
      // buf = momentum * buf + d_p; the first step starts the buffer at d_p.
      size_t k = 0;
      std::vector<at::Tensor> existing, existing_grads;
      for (size_t i = 0; i < group.params.size(); ++i) {
        if (!group.params[i].grad().defined()) continue;
        at::Tensor& buf = buffers_[g][i];
        if (!buf.defined()) {
          buf = grads[k].clone().detach();
        } else {
          existing.push_back(buf);
          existing_grads.push_back(grads[k]);
        }
        bufs.push_back(buf);
        ++k;
      }
      if (!existing.empty()) {
        at::_foreach_mul_(existing, options_.momentum);
        at::_foreach_add_(existing, existing_grads);
      }
      grads = options_.nesterov ? at::_foreach_add(grads, bufs, options_.momentum) : bufs;
    }
    at::_foreach_add_(params, grads, -lr_);
  }
}

void Sgd::step_on_device(const at::Tensor& lr, const at::Tensor& found_inf) {
  at::NoGradGuard no_grad;
  IMAGENET_CHECK(!groups_.empty() && compat::fused_sgd_available(lr.device()),
                 "Sgd::step_on_device needs LibTorch >= 2.4 and a GPU");
  step_fused(&lr, found_inf);
}

void Sgd::step_fused(const at::Tensor* lr, const at::Tensor& found_inf) {
  if (options_.momentum != 0.0) materialize_momentum_buffers();
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<at::Tensor> params, grads, bufs;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const at::Tensor& grad = groups_[g].params[i].grad();
      if (!grad.defined()) continue;
      params.push_back(groups_[g].params[i]);
      grads.push_back(grad);
      bufs.push_back(buffers_[g][i]);
    }
    if (params.empty()) continue;
    const double wd = groups_[g].weight_decay;
    if (lr) {
      compat::fused_sgd(params, grads, bufs, wd, options_.momentum, *lr, options_.nesterov,
                        found_inf);
    } else {
      compat::fused_sgd(params, grads, bufs, wd, options_.momentum, lr_, options_.nesterov);
    }
  }
}

void Sgd::materialize_momentum_buffers() {
  at::NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (size_t i = 0; i < groups_[g].params.size(); ++i)
      if (!buffers_[g][i].defined()) buffers_[g][i] = at::zeros_like(groups_[g].params[i]);
}

std::map<std::string, at::Tensor> Sgd::momentum_buffers() const {
  std::map<std::string, at::Tensor> out;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (size_t i = 0; i < groups_[g].params.size(); ++i)
      if (buffers_[g][i].defined()) out[groups_[g].names[i]] = buffers_[g][i];
  return out;
}

void Sgd::load_momentum_buffers(const std::map<std::string, at::Tensor>& buffers) {
  at::NoGradGuard no_grad;
  size_t restored = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      auto it = buffers.find(groups_[g].names[i]);
      if (it == buffers.end()) continue;
      const at::Tensor& param = groups_[g].params[i];
      IMAGENET_CHECK(it->second.sizes() == param.sizes(), "momentum buffer ", it->first,
                     " has shape ", it->second.sizes(), ", the parameter ", param.sizes());
      // Same device and memory format as the parameter (and so as its gradient).
      buffers_[g][i] = at::empty_like(param).copy_(it->second);
      ++restored;
    }
  }
  IMAGENET_CHECK(restored == buffers.size(), "the checkpoint has momentum for ", buffers.size(),
                 " parameters, the model matched ", restored);
}

std::map<std::string, at::Tensor> Sgd::state() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, buffer] : momentum_buffers()) out["momentum_buffer." + name] = buffer;
  return out;
}

void Sgd::load_state(const std::map<std::string, at::Tensor>& state) {
  const std::string prefix = "momentum_buffer.";
  std::map<std::string, at::Tensor> buffers;
  for (const auto& [key, tensor] : state) {
    IMAGENET_CHECK(key.rfind(prefix, 0) == 0, "SGD has no state '", key, "'");
    buffers[key.substr(prefix.size())] = tensor;
  }
  load_momentum_buffers(buffers);
}

}  // namespace imagenet
