// Implements train/adamw.h following torch/optim/adamw.py (1.13, _multi_tensor_adamw).
#include "imagenet/train/adamw.h"

#include <ATen/core/grad_mode.h>

#include <cmath>

#include "imagenet/util/error.h"

namespace imagenet {

AdamW::AdamW(std::vector<ParamGroup> groups, Options options)
    : Optimizer(std::move(groups), options.lr), options_(options) {
  for (const auto& group : groups_) state_.emplace_back(group.params.size());
}

void AdamW::step() {
  at::NoGradGuard no_grad;
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    std::vector<at::Scalar> bias_correction2_sqrt, step_size;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const at::Tensor& p = groups_[g].params[i];
      if (!p.grad().defined()) continue;
      ParamState& s = state_[g][i];
      if (!s.exp_avg.defined()) {
        s.exp_avg = at::zeros_like(p, at::MemoryFormat::Preserve);
        s.exp_avg_sq = at::zeros_like(p, at::MemoryFormat::Preserve);
      }
      ++s.step;
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(s.exp_avg);
      exp_avg_sqs.push_back(s.exp_avg_sq);
      const double bc1 = 1 - std::pow(beta1, static_cast<double>(s.step));
      const double bc2 = 1 - std::pow(beta2, static_cast<double>(s.step));
      step_size.emplace_back(-(lr_ / bc1));
      bias_correction2_sqrt.emplace_back(std::sqrt(bc2));
    }
    if (params.empty()) continue;
    // Decoupled weight decay first, on the parameters as they are.
    if (groups_[g].weight_decay != 0.0)
      at::_foreach_mul_(params, 1 - lr_ * groups_[g].weight_decay);
    // The moments.
    at::_foreach_mul_(exp_avgs, beta1);
    at::_foreach_add_(exp_avgs, grads, 1 - beta1);
    at::_foreach_mul_(exp_avg_sqs, beta2);
    at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2);
    // p += -(lr / bc1) exp_avg / (sqrt(exp_avg_sq) / sqrt(bc2) + eps)
    std::vector<at::Tensor> denom = at::_foreach_sqrt(exp_avg_sqs);
    at::_foreach_div_(denom, bias_correction2_sqrt);
    at::_foreach_add_(denom, options_.eps);
    at::_foreach_addcdiv_(params, exp_avgs, denom, step_size);
  }
}

std::map<std::string, at::Tensor> AdamW::state() const {
  std::map<std::string, at::Tensor> out;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const ParamState& s = state_[g][i];
      if (!s.exp_avg.defined()) continue;
      const std::string& name = groups_[g].names[i];
      out["exp_avg." + name] = s.exp_avg;
      out["exp_avg_sq." + name] = s.exp_avg_sq;
      out["step." + name] = at::scalar_tensor(s.step, at::kLong);
    }
  }
  return out;
}

void AdamW::load_state(const std::map<std::string, at::Tensor>& state) {
  at::NoGradGuard no_grad;
  size_t restored = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const std::string& name = groups_[g].names[i];
      auto m = state.find("exp_avg." + name), v = state.find("exp_avg_sq." + name),
           t = state.find("step." + name);
      if (m == state.end() && v == state.end() && t == state.end()) continue;
      IMAGENET_CHECK(m != state.end() && v != state.end() && t != state.end(), "AdamW state of ",
                     name, " is incomplete (exp_avg, exp_avg_sq, step)");
      const at::Tensor& p = groups_[g].params[i];
      IMAGENET_CHECK(m->second.sizes() == p.sizes() && v->second.sizes() == p.sizes(),
                     "AdamW state of ", name, " has shape ", m->second.sizes(), ", the parameter ",
                     p.sizes());
      // Same device and memory format as the parameter (and so as its gradient).
      state_[g][i].exp_avg = at::empty_like(p).copy_(m->second);
      state_[g][i].exp_avg_sq = at::empty_like(p).copy_(v->second);
      state_[g][i].step = t->second.item<int64_t>();
      restored += 3;
    }
  }
  IMAGENET_CHECK(restored == state.size(), "the checkpoint has AdamW state for ", state.size() / 3,
                 " parameters, the model matched ", restored / 3);
}

}  // namespace imagenet
