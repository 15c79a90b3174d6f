// Exponential moving average of the model's weights (parameters and buffers), as timm's
// ModelEmaV3 (timm/utils/model_ema.py) and torchvision's ExponentialMovingAverage
// (references/classification/utils.py) keep it: ema = decay ema + (1 - decay) model for
// floating-point tensors, integer buffers (num_batches_tracked) copied. The decay comes from
// one of the two schedules below. Under DDP every rank holds the same weights after the
// gradient all-reduce, so every rank's EMA of the parameters is the same without
// communication; BatchNorm buffers differ per rank unless SyncBatchNorm is on, so the caller
// averages the EMA's buffers over the ranks before evaluating or saving it (timm's
// distribute_bn on the EMA).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace imagenet {

/// timm's ModelEmaV3.get_decay(step) for the update after optimizer step `step` (1 on the
/// first): 0 on the first update (a copy); then `decay`, or with warmup
/// clamp(1 - (1 + (step - 1) / gamma)^-power, min_decay, decay) (gamma 1, power 2/3).
double timm_ema_decay(double decay, bool warmup, int64_t step, double warmup_gamma = 1.0,
                      double warmup_power = 2.0 / 3.0, double min_decay = 0.0);

/// torchvision's decay for an EMA updated every `update_every` optimizer steps:
/// 1 - min(1, (1 - decay) * global_batch * update_every / epochs).
double torchvision_ema_decay(double decay, int64_t global_batch, int64_t update_every,
                             int64_t epochs);

/// torchvision's update rule: the optimizer steps of an epoch with index i % update_every == 0
/// (so the first step of every epoch) update the EMA.
bool torchvision_ema_due(int64_t step_in_epoch, int64_t update_every);

class ModelEma {
 public:
  /// Averages into `average` (the tensors of a copy of the model, updated in place, so that
  /// copy evaluates the EMA), named as the model's parameters and buffers.
  ModelEma(std::vector<std::string> names, std::vector<at::Tensor> average);

  /// One update from the model's tensors (same names, same order): ema = decay ema +
  /// (1 - decay) model, multi-tensor; integer tensors copied. decay 0 copies.
  void update(const std::vector<at::Tensor>& model, double decay);

  /// Updates done so far (timm's and torchvision's schedules restart from it on resume).
  int64_t num_updates() const { return num_updates_; }

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<at::Tensor>& tensors() const { return average_; }

  /// "<name>" -> averaged tensor, and "num_updates" (0-dim int64), for checkpoints.
  std::map<std::string, at::Tensor> state() const;
  /// Restores state(); throws RuntimeError naming a missing or misshapen tensor.
  void load_state(const std::map<std::string, at::Tensor>& state);

 private:
  std::vector<std::string> names_;
  std::vector<at::Tensor> average_;
  std::vector<size_t> floating_, integral_;  // indices by dtype
  int64_t num_updates_ = 0;
};

}  // namespace imagenet
