// AdamW (decoupled weight decay), numerically what torch.optim.AdamW does (amsgrad off), with
// multi-tensor (_foreach) kernels on every device. LR scaling for other batch sizes: timm
// scales Adam-type optimizers by sqrt(global batch / 256) (docs/CONFIG.md, lr_scaling).
#pragma once

#include <cstdint>

#include "imagenet/train/optimizer.h"

namespace imagenet {

class AdamW : public Optimizer {
 public:
  struct Options {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
  };

  AdamW(std::vector<ParamGroup> groups, Options options);

  /// p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
  /// p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps), t counted per parameter.
  void step() override;

  /// "exp_avg.<name>", "exp_avg_sq.<name>" and "step.<name>" (a 0-dim int64 tensor).
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

 private:
  struct ParamState {
    at::Tensor exp_avg, exp_avg_sq;  // undefined until the first step with a gradient
    int64_t step = 0;
  };
  Options options_;
  std::vector<std::vector<ParamState>> state_;  // per group, per parameter
};

}  // namespace imagenet
