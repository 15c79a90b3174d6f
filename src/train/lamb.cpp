// Implements train/lamb.h following timm/optim/lamb.py (Lamb._get_clip_grad_norm and step).
// Unlike timm it leaves .grad() as computed (timm divides the gradients in place).
#include "imagenet/train/lamb.h"

#include <ATen/core/grad_mode.h>

#include <cmath>

#include "imagenet/util/error.h"

namespace imagenet {

Lamb::Lamb(std::vector<ParamGroup> groups, Options options)
    : Optimizer(std::move(groups), options.lr), options_(options) {
  for (const auto& group : groups_) {
    exp_avg_.emplace_back(group.params.size());
    exp_avg_sq_.emplace_back(group.params.size());
  }
}

void Lamb::step() {
  at::NoGradGuard no_grad;
  const std::vector<at::Tensor> all_grads = gradients();
  if (all_grads.empty()) return;
  // The global gradient norm over every parameter, as a device tensor (no host sync):
  // divisor = max(1, ||g|| / max_grad_norm).
  at::Tensor divisor;
  if (options_.max_grad_norm > 0) {
    const std::vector<at::Tensor> norms = at::_foreach_norm(all_grads);
    divisor = (at::stack(norms).norm() / options_.max_grad_norm).clamp_min_(1.0);
  }
  ++step_;
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step_));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step_));
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    for (size_t i = 0; i < group.params.size(); ++i) {
      const at::Tensor& p = group.params[i];
      if (!p.grad().defined()) continue;
      if (!exp_avg_[g][i].defined()) {
        exp_avg_[g][i] = at::zeros_like(p, at::MemoryFormat::Preserve);
        exp_avg_sq_[g][i] = at::zeros_like(p, at::MemoryFormat::Preserve);
      }
      params.push_back(p);
      grads.push_back(divisor.defined() ? p.grad() / divisor : p.grad());
      exp_avgs.push_back(exp_avg_[g][i]);
      exp_avg_sqs.push_back(exp_avg_sq_[g][i]);
    }
    if (params.empty()) continue;
    // m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2 (grad_averaging).
    at::_foreach_mul_(exp_avgs, beta1);
    at::_foreach_add_(exp_avgs, grads, 1 - beta1);
    at::_foreach_mul_(exp_avg_sqs, beta2);
    at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2);
    // update = (m / bc1) / (sqrt(v) / sqrt(bc2) + eps) [+ wd p]
    std::vector<at::Tensor> denom = at::_foreach_sqrt(exp_avg_sqs);
    at::_foreach_div_(denom, std::sqrt(bias_correction2));
    at::_foreach_add_(denom, options_.eps);
    std::vector<at::Tensor> updates = at::_foreach_div(exp_avgs, bias_correction1);
    at::_foreach_div_(updates, denom);
    const double wd = group.weight_decay;
    if (wd != 0) at::_foreach_add_(updates, params, wd);
    if (wd != 0 || options_.always_adapt) {
      // Layer-wise adaptation: update *= ||p|| / ||update||, 1 where either norm is 0.
      const std::vector<at::Tensor> w_norms = at::_foreach_norm(params);
      const std::vector<at::Tensor> u_norms = at::_foreach_norm(updates);
      for (size_t k = 0; k < updates.size(); ++k) {
        at::Tensor ratio = w_norms[k] / u_norms[k];
        ratio = at::where(w_norms[k] > 0, at::where(u_norms[k] > 0, ratio, at::ones_like(ratio)),
                          at::ones_like(ratio));
        if (options_.trust_clip) ratio.clamp_max_(1.0);
        updates[k].mul_(ratio);
      }
    }
    at::_foreach_add_(params, updates, -lr_);
  }
}

std::map<std::string, at::Tensor> Lamb::state() const {
  std::map<std::string, at::Tensor> out;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      if (!exp_avg_[g][i].defined()) continue;
      out["exp_avg." + groups_[g].names[i]] = exp_avg_[g][i];
      out["exp_avg_sq." + groups_[g].names[i]] = exp_avg_sq_[g][i];
    }
  }
  if (step_ > 0) out["step"] = at::scalar_tensor(step_, at::kLong);
  return out;
}

void Lamb::load_state(const std::map<std::string, at::Tensor>& state) {
  at::NoGradGuard no_grad;
  size_t restored = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const std::string& name = groups_[g].names[i];
      auto m = state.find("exp_avg." + name), v = state.find("exp_avg_sq." + name);
      if (m == state.end() && v == state.end()) continue;
      IMAGENET_CHECK(m != state.end() && v != state.end(), "LAMB state of ", name,
                     " is incomplete (exp_avg, exp_avg_sq)");
      const at::Tensor& p = groups_[g].params[i];
      IMAGENET_CHECK(m->second.sizes() == p.sizes() && v->second.sizes() == p.sizes(),
                     "LAMB state of ", name, " has shape ", m->second.sizes(), ", the parameter ",
                     p.sizes());
      exp_avg_[g][i] = at::empty_like(p).copy_(m->second);
      exp_avg_sq_[g][i] = at::empty_like(p).copy_(v->second);
      restored += 2;
    }
  }
  auto step = state.find("step");
  step_ = step == state.end() ? 0 : step->second.item<int64_t>();
  restored += step != state.end();
  IMAGENET_CHECK(restored == state.size(), "the checkpoint has ", state.size(),
                 " LAMB state entries, the model matched ", restored);
}

}  // namespace imagenet
