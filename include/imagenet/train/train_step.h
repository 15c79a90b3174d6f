// One training step, shared by training, the LR finder and the benchmarks: the model, its
// optimizer and loss scaler, and the step from a device batch to an optimizer update.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>

#include "imagenet/config/config.h"
#include "imagenet/model/resnet.h"
#include "imagenet/train/amp.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/mixup.h"
#include "imagenet/train/sgd.h"

namespace imagenet {

struct StepResult {
  at::Tensor loss;      ///< float32 scalar on the device (the unscaled training loss)
  at::Tensor logits;    ///< [N, C]
  bool mixed = false;   ///< Mixup or CutMix was applied (accuracy is not counted then)
  bool stepped = true;  ///< false when an fp16 overflow skipped the update
};

class TrainStep {
 public:
  /// Builds the model on `device` (initialized from config.train.seed), the optimizer and the
  /// loss scaler.
  TrainStep(const Config& config, c10::Device device, int64_t num_classes);

  /// One optimizer update on `input` (mixed in place when mixing draws so) at learning rate
  /// `lr`. `step` seeds the mixing draws, so a resumed run mixes the same way.
  StepResult run(DeviceBatch& input, double lr, int64_t step);

  /// Called between backward and the optimizer update (gradient all-reduce in DDP).
  void set_after_backward(std::function<void()> hook) { after_backward_ = std::move(hook); }

  ResNet& model() { return model_; }
  Sgd& optimizer() { return *optimizer_; }
  GradScaler& scaler() { return *scaler_; }
  bool channels_last() const { return channels_last_; }
  c10::Device device() const { return device_; }

 private:
  void clip_gradients();

  const Config& config_;
  c10::Device device_;
  int64_t num_classes_;
  bool channels_last_ = false;
  ResNet model_{nullptr};
  std::unique_ptr<Sgd> optimizer_;
  std::unique_ptr<GradScaler> scaler_;
  std::function<void()> after_backward_;
};

/// Moves 4-D parameters and buffers of `module` to channels_last in place.
void to_channels_last(torch::nn::Module& module);

}  // namespace imagenet
