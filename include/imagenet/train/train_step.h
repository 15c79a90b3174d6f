// One training step, shared by training, the LR finder and the benchmarks: the model, its
// optimizer and loss scaler, and the step from a device batch to an optimizer update.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/model/resnet.h"
#include "imagenet/train/amp.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/mixup.h"
#include "imagenet/train/optimizer.h"
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
  /// `lr`. `step` seeds the mixing and drop-path draws, so a resumed run draws the same;
  /// `epoch` turns mixing off from mix.mixup_off_epoch on.
  StepResult run(DeviceBatch& input, double lr, int64_t step, int64_t epoch = 0);

  /// One optimizer update from the gradients of several micro-batches
  /// (accumulate_grad_batches): each one's loss is divided by their number, so with equal
  /// sizes the update is that of one batch of all of them; under DDP only the last backward
  /// all-reduces (set_gradient_sync). Micro-batch i draws mixing and drop path from
  /// (seed, step, i).
  /// The result's loss is the mean over the micro-batches, its logits theirs, concatenated.
  StepResult run(std::vector<DeviceBatch>& micro_batches, double lr, int64_t step,
                 int64_t epoch = 0);

  /// Called with false before each backward whose gradients are only accumulated, and with
  /// true before the last backward of a step (the data-parallel reducer's no_sync).
  void set_gradient_sync(std::function<void(bool)> hook) { gradient_sync_ = std::move(hook); }

  /// Called between backward and the optimizer update (gradient all-reduce in DDP). The step
  /// then runs eagerly: the hooks of the all-reduce are not captured in a CUDA graph.
  void set_after_backward(std::function<void()> hook);

  /// True once the step replays a CUDA graph.
  bool graphed() const;
  /// Why compile_model: true runs eagerly (empty when it does not, or was not asked).
  const std::string& why_eager() const { return why_eager_; }

  ResNet& model() { return model_; }
  /// SGD, AdamW or LAMB (optim.optimizer).
  Optimizer& optimizer() { return *optimizer_; }
  /// The SGD optimizer, or null with adamw / lamb.
  Sgd* sgd() { return dynamic_cast<Sgd*>(optimizer_.get()); }
  GradScaler& scaler() { return *scaler_; }
  bool channels_last() const { return channels_last_; }
  c10::Device device() const { return device_; }

 private:
  struct Graph;  // the CUDA graph of the step and its static inputs and outputs

  StepResult run_eager(DeviceBatch& input, const at::Tensor& targets, double lr, StepResult result);
  /// Mixing and drop-path draws of one (micro-)batch; returns the soft targets (undefined
  /// when not mixed). `micro`: the micro-batch's index in an accumulated step (0 alone), so
  /// micro-batch 0 draws what a step without accumulation draws.
  at::Tensor prepare_batch(DeviceBatch& input, int64_t step, int64_t micro, int64_t epoch,
                           StepResult& result);
  /// Unscale, clip and the optimizer update (eager); false when fp16 overflowed.
  bool update_from_gradients();
  StepResult run_graphed(DeviceBatch& input, const at::Tensor& targets, double lr,
                         StepResult result);
  bool capture_graph(const DeviceBatch& input);
  void graph_body();
  void give_up_graph(const std::string& why);
  void clip_gradients();
  void clip_gradients_on_device(const std::vector<at::Tensor>& grads);
  at::Tensor loss_of(const at::Tensor& logits32, const at::Tensor& labels,
                     const at::Tensor& targets) const;

  const TrainStepOptions options_;
  c10::Device device_;
  int64_t num_classes_;
  bool channels_last_ = false;
  ResNet model_{nullptr};
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<GradScaler> scaler_;
  std::function<void()> after_backward_;
  std::function<void(bool)> gradient_sync_;
  std::unique_ptr<Graph> graph_;  // null: eager
  std::string why_eager_;
  int64_t eager_steps_ = 0;
  bool anomaly_mode_set_ = false;  // this step turned autograd's anomaly mode on
};

/// Moves 4-D parameters and buffers of `module` to channels_last in place.
void to_channels_last(torch::nn::Module& module);

}  // namespace imagenet
