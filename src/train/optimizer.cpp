// Implements train/optimizer.h: the parts every optimizer shares.
#include "imagenet/train/optimizer.h"

#include "imagenet/util/error.h"

namespace imagenet {

Optimizer::Optimizer(std::vector<ParamGroup> groups, double lr)
    : groups_(std::move(groups)), lr_(lr) {
  for (const auto& group : groups_)
    IMAGENET_CHECK(group.names.size() == group.params.size(), "names and params differ in size");
}

void Optimizer::zero_grad(bool set_to_none) {
  if (set_to_none) {
    for (auto& group : groups_)
      for (auto& p : group.params) p.mutable_grad() = at::Tensor();
    return;
  }
  std::vector<at::Tensor> grads = gradients();
  if (!grads.empty()) at::_foreach_zero_(grads);
}

std::vector<at::Tensor> Optimizer::parameters() const {
  std::vector<at::Tensor> all;
  for (const auto& group : groups_) all.insert(all.end(), group.params.begin(), group.params.end());
  return all;
}

std::vector<at::Tensor> Optimizer::gradients() const {
  std::vector<at::Tensor> grads;
  for (const auto& group : groups_)
    for (const auto& p : group.params)
      if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

}  // namespace imagenet
