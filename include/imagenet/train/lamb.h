// LAMB as timm implements it (timm/optim/lamb.py, the NVLAMB variant of apex's FusedLAMB):
// gradients divided by max(1, global gradient norm / max_grad_norm), bias-corrected Adam
// moments, weight decay added to the update, and the update scaled per parameter by the trust
// ratio ||p|| / ||update|| (1 when either norm is 0) for parameters with weight decay; the
// no-decay group (norm and bias) takes the plain Adam step. The moments use multi-tensor
// (_foreach) kernels on every device. LR scaling for other batch sizes: timm scales LAMB by
// sqrt(global batch / 256) (docs/CONFIG.md, lr_scaling).
#pragma once

#include <cstdint>

#include "imagenet/train/optimizer.h"

namespace imagenet {

class Lamb : public Optimizer {
 public:
  struct Options {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-6;
    /// Global gradient-norm clipping inside the optimizer; 0 turns it off (timm: None).
    double max_grad_norm = 1.0;
    /// timm's always_adapt: the trust ratio also for parameters without weight decay.
    bool always_adapt = false;
    /// timm's trust_clip (LAMBC): the trust ratio capped at 1.
    bool trust_clip = false;
  };

  Lamb(std::vector<ParamGroup> groups, Options options);

  void step() override;

  /// "exp_avg.<name>" and "exp_avg_sq.<name>" per parameter, and "step" (0-dim int64: timm
  /// counts steps per group, and every group steps together).
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

 private:
  Options options_;
  int64_t step_ = 0;
  std::vector<std::vector<at::Tensor>> exp_avg_, exp_avg_sq_;  // per group, per parameter
};

}  // namespace imagenet
