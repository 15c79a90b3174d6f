// SGD with momentum, Nesterov and coupled weight decay, numerically what torch.optim.SGD does
// (dampening 0), applied with multi-tensor (_foreach) kernels. Momentum buffers are keyed by
// parameter name, so checkpoints do not depend on the order or the address of parameters.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

namespace imagenet {

class Sgd {
 public:
  struct ParamGroup {
    std::vector<std::string> names;
    std::vector<at::Tensor> params;
    double weight_decay = 0.0;
  };
  struct Options {
    double lr = 0.1;
    double momentum = 0.9;
    bool nesterov = false;
  };

  Sgd(std::vector<ParamGroup> groups, Options options);

  void set_lr(double lr) { options_.lr = lr; }
  double lr() const { return options_.lr; }

  /// One update from the parameters' .grad(); parameters without a gradient are skipped.
  void step();
  /// Zeroes the gradients in place (their memory is kept, unlike set_to_none).
  void zero_grad();

  /// Every parameter, in group order.
  std::vector<at::Tensor> parameters() const;
  /// The gradients that exist, in group order.
  std::vector<at::Tensor> gradients() const;

  /// Momentum buffers by parameter name (those created so far).
  std::map<std::string, at::Tensor> momentum_buffers() const;
  /// Restores buffers saved by momentum_buffers(); names must match the model's.
  void load_momentum_buffers(const std::map<std::string, at::Tensor>& buffers);

 private:
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<at::Tensor>> buffers_;  // per group, per parameter; undefined at first
  Options options_;
};

}  // namespace imagenet
