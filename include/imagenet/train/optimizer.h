// What the training step needs from an optimizer (AdamW, LAMB; SGD has the same shape): groups
// of parameters with their weight decay (the no-decay group for norm and bias), a settable LR,
// one update from the gradients, and its state keyed by parameter name for checkpoints, so a
// checkpoint does not depend on the order or the address of parameters.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

namespace imagenet {

struct OptimizerParamGroup {
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
  double weight_decay = 0.0;
};

class Optimizer {
 public:
  using ParamGroup = OptimizerParamGroup;

  Optimizer(std::vector<ParamGroup> groups, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }

  /// One update from the parameters' .grad(); parameters without a gradient are skipped.
  virtual void step() = 0;
  /// Zeroes the gradients in place, or (set_to_none) drops them: backward then writes fresh
  /// gradients instead of adding to zeros, one pass over them less (PyTorch 2's default).
  void zero_grad(bool set_to_none = false);

  /// Every parameter, in group order.
  std::vector<at::Tensor> parameters() const;
  /// The gradients that exist, in group order.
  std::vector<at::Tensor> gradients() const;

  /// The state created so far, as "<kind>.<parameter name>" -> tensor (e.g.
  /// "exp_avg.layer1.0.conv1.weight"), plus optimizer-wide entries without a parameter name.
  virtual std::map<std::string, at::Tensor> state() const = 0;
  /// Restores what state() returned; parameter names must match the model's. Throws
  /// RuntimeError naming an entry that does not fit.
  virtual void load_state(const std::map<std::string, at::Tensor>& state) = 0;

 protected:
  std::vector<ParamGroup> groups_;
  double lr_;
};

}  // namespace imagenet
