// One training step, shared by training, the LR finder and the benchmarks: the model, its
// optimizer and loss scaler, and the step from a device batch to an optimizer update.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>

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
  bool stepped = true;  ///< false when an fp16 overflow (or nan_policy: skip) skipped the update
};

/// The slice of the config a step needs, copied: the step never refers back to a Config.
struct TrainStepOptions {
  ModelConfig model;
  OptimConfig optim;
  MixConfig mix;
  Precision precision = Precision::kFloat32;
  /// Seeds the model's initialization and the per-step mixing draws.
  int64_t seed = 42;
  /// Autograd's anomaly detection: a backward that produces NaN or inf throws, naming the
  /// operation whose forward made it (slow; for finding where a run diverges).
  bool detect_anomaly = false;
  /// nan_policy: skip (not for 16-mixed, whose scaler skips): a step whose gradients hold NaN
  /// or inf makes no update (StepResult::stepped false). Costs a host sync per step; no CUDA
  /// graph then.
  bool skip_non_finite = false;
};

/// The step's slice of `config`.
TrainStepOptions train_step_options(const Config& config);

/// Eager steps before the step is captured as a CUDA graph (as torch.cuda.graph's examples:
/// cuDNN autotuning and lazy initialization happen before the capture).
constexpr int64_t kGraphWarmupSteps = 3;

class TrainStep {
 public:
  /// Builds the model on `device` (initialized from options.seed), the optimizer and the loss
  /// scaler. With model.compile_model the step runs as a CUDA graph after kGraphWarmupSteps
  /// eager steps, or eagerly with a logged reason where it cannot.
  TrainStep(TrainStepOptions options, c10::Device device, int64_t num_classes);
  ~TrainStep();

  /// One optimizer update on `input` (mixed in place when mixing draws so) at learning rate
  /// `lr`. `step` seeds the mixing draws, so a resumed run mixes the same way.
  StepResult run(DeviceBatch& input, double lr, int64_t step);

  /// Called between backward and the optimizer update (gradient all-reduce in DDP). The step
  /// then runs eagerly: the hooks of the all-reduce are not captured in a CUDA graph.
  void set_after_backward(std::function<void()> hook);

  /// True once the step replays a CUDA graph.
  bool graphed() const;
  /// Why compile_model: true runs eagerly (empty when it does not, or was not asked).
  const std::string& why_eager() const { return why_eager_; }

  ResNet& model() { return model_; }
  Sgd& optimizer() { return *optimizer_; }
  GradScaler& scaler() { return *scaler_; }
  bool channels_last() const { return channels_last_; }
  c10::Device device() const { return device_; }

 private:
  struct Graph;  // the CUDA graph of the step and its static inputs and outputs

  StepResult run_eager(DeviceBatch& input, const at::Tensor& targets, double lr, StepResult result);
  StepResult run_graphed(DeviceBatch& input, const at::Tensor& targets, double lr,
                         StepResult result);
  bool capture_graph(const DeviceBatch& input);
  void graph_body();
  void give_up_graph(const std::string& why);
  void clip_gradients();
  void clip_gradients_on_device(const std::vector<at::Tensor>& grads);

  const TrainStepOptions options_;
  c10::Device device_;
  int64_t num_classes_;
  bool channels_last_ = false;
  ResNet model_{nullptr};
  std::unique_ptr<Sgd> optimizer_;
  std::unique_ptr<GradScaler> scaler_;
  std::function<void()> after_backward_;
  std::unique_ptr<Graph> graph_;  // null: eager
  std::string why_eager_;
  int64_t eager_steps_ = 0;
  bool anomaly_mode_set_ = false;  // this step turned autograd's anomaly mode on
};

/// Moves 4-D parameters and buffers of `module` to channels_last in place.
void to_channels_last(torch::nn::Module& module);

}  // namespace imagenet
