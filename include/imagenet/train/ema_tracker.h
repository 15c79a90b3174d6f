// The model EMA of a run (model_ema): a copy of the model whose weights follow the trained ones
// by train/model_ema.h's rules, timm's (every optimizer step, model_ema_warmup) or
// torchvision's (every model_ema_steps steps, the adjusted decay, copies during warmup), for
// validation (val_ema/*) and checkpoints (state_dict_ema, torchvision names).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "imagenet/config/config.h"
#include "imagenet/model/resnet.h"
#include "imagenet/train/model_ema.h"

namespace imagenet {

class EmaTracker {
 public:
  /// Starts as a copy of `model` (same device and memory format). global_batch: images per
  /// optimizer step over all ranks; epochs: the run's (both for torchvision's decay).
  EmaTracker(const EmaConfig& config, ResNet& model, int64_t global_batch, int64_t epochs,
             double warmup_epochs);

  /// After optimizer step `global_step` (1 on the first), batch `step_in_epoch` (0-based) of
  /// `epoch`: updates the average when the rule says so.
  void after_step(ResNet& model, int64_t global_step, int64_t step_in_epoch, int64_t epoch);

  /// The averaged model (evaluation mode for validation is the caller's).
  ResNet& model() { return ema_model_; }
  int64_t num_updates() const { return ema_->num_updates(); }
  /// The decay the next update at (step_in_epoch, epoch) uses (0: a copy).
  double decay_for(int64_t global_step, int64_t step_in_epoch, int64_t epoch) const;

  /// The averaged weights by torchvision name, and back (with the update count).
  std::map<std::string, at::Tensor> state_dict() const;
  void load(const std::map<std::string, at::Tensor>& state_dict, int64_t num_updates,
            const std::string& origin);

 private:
  EmaConfig config_;
  double torchvision_decay_ = 0.0;
  double warmup_epochs_ = 0.0;
  ResNet ema_model_{nullptr};
  std::unique_ptr<ModelEma> ema_;
};

}  // namespace imagenet
