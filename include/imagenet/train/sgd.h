// SGD with momentum, Nesterov and coupled weight decay, numerically what torch.optim.SGD does
// (dampening 0), applied with multi-tensor (_foreach) kernels, or on a GPU with LibTorch >= 2.4
// with PyTorch's fused SGD kernel. Momentum buffers are keyed by
// parameter name, so checkpoints do not depend on the order or the address of parameters.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "imagenet/train/optimizer.h"

namespace imagenet {

class Sgd : public Optimizer {
 public:
  struct Options {
    double lr = 0.1;
    double momentum = 0.9;
    bool nesterov = false;
  };

  Sgd(std::vector<ParamGroup> groups, Options options);

  /// One update from the parameters' .grad(); parameters without a gradient are skipped.
  void step() override;
  /// The same update with the LR read from `lr` (a 1-element float tensor on the device) and
  /// skipped on the device when `found_inf` (may be undefined) is non-zero: no host
  /// synchronization and no allocation, so a CUDA graph can capture it. Needs
  /// compat::fused_sgd_available() and every momentum buffer (materialize_momentum_buffers).
  void step_on_device(const at::Tensor& lr, const at::Tensor& found_inf);
  /// Creates missing momentum buffers as zeros: momentum x 0 + d = d, the same update as a
  /// buffer started from the first gradient.
  void materialize_momentum_buffers();

  /// Momentum buffers by parameter name (those created so far).
  std::map<std::string, at::Tensor> momentum_buffers() const;
  /// Restores buffers saved by momentum_buffers(); names must match the model's.
  void load_momentum_buffers(const std::map<std::string, at::Tensor>& buffers);

  /// "momentum_buffer.<name>" for every buffer created so far.
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

 private:
  // PyTorch's fused kernel, at `lr` when given (a device tensor) or at lr().
  void step_fused(const at::Tensor* lr, const at::Tensor& found_inf);

  std::vector<std::vector<at::Tensor>> buffers_;  // per group, per parameter; undefined at first
  Options options_;
};

}  // namespace imagenet
