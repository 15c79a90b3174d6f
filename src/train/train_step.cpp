// Implements train/train_step.h.
#include "imagenet/train/train_step.h"

#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/utils.h>

#include "imagenet/train/cuda_graph.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/log.h"
#include "imagenet/util/rng.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

constexpr uint64_t kMixStream = 0x6d1c;  // seed stream of the per-step mixing draws

/// Weight decay on every parameter, or (weight_decay_norm_bias: false) not on 1-D ones.
std::vector<Sgd::ParamGroup> parameter_groups(torch::nn::Module& model, const OptimConfig& o) {
  Sgd::ParamGroup decay, no_decay;
  decay.weight_decay = o.weight_decay;
  for (auto& item : model.named_parameters()) {
    bool exempt = !o.weight_decay_norm_bias && item.value().dim() <= 1;
    Sgd::ParamGroup& group = exempt ? no_decay : decay;
    group.names.push_back(item.key());
    group.params.push_back(item.value());
  }
  std::vector<Sgd::ParamGroup> groups{decay};
  if (!no_decay.params.empty()) groups.push_back(no_decay);
  return groups;
}

/// True when no gradient holds NaN or inf (one host sync).
bool gradients_are_finite(const std::vector<at::Tensor>& grads) {
  if (grads.empty()) return true;
  std::vector<at::Tensor> finite;
  for (const auto& g : grads) finite.push_back(at::isfinite(g).all());
  return at::stack(finite).all().item<bool>();
}
}  // namespace

void to_channels_last(torch::nn::Module& module) {
  // There is no Module::to(MemoryFormat) in C++; set_data keeps each tensor's identity, so
  // references (optimizer groups, hooks) stay valid.
  at::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  for (auto& b : module.buffers())
    if (b.dim() == 4) b.set_data(b.contiguous(at::MemoryFormat::ChannelsLast));
}

TrainStepOptions train_step_options(const Config& config) {
  TrainStepOptions o;
  o.model = config.model;
  o.optim = config.optim;
  o.mix = config.mix;
  o.precision = config.train.precision;
  o.seed = config.train.seed;
  o.detect_anomaly = config.train.detect_anomaly;
  o.skip_non_finite = config.train.nan_policy == NanPolicy::kSkip &&
                      config.train.precision != Precision::kFloat16Mixed;
  return o;
}

TrainStep::TrainStep(TrainStepOptions options, c10::Device device, int64_t num_classes)
    : options_(std::move(options)), device_(device), num_classes_(num_classes) {
  const TrainStepOptions& config = options_;
  if (config.model.compile_model) {
    if (!CudaGraph::unavailable_reason().empty()) {
      why_eager_ = CudaGraph::unavailable_reason();
    } else if (!device.is_cuda()) {
      why_eager_ = "CUDA graphs need a CUDA device";
    } else if (config.skip_non_finite) {
      why_eager_ = "nan_policy: skip checks every step's gradients on the host";
    } else if (!compat::fused_sgd_available(device)) {
      why_eager_ = "this LibTorch has no fused SGD kernel to update on the device";
    }
    if (why_eager_.empty()) {
      graph_ = std::make_unique<Graph>();
    } else {
      log_warn(str_cat("compile_model: true: the training step runs eagerly: ", why_eager_));
    }
  }
  if (config.detect_anomaly) {
    // Process-wide, as Lightning's detect_anomaly sets torch.autograd.set_detect_anomaly.
    torch::autograd::AnomalyMode::set_enabled(true);
    anomaly_mode_set_ = true;
    log_warn(
        "detect_anomaly: true: every backward checks its outputs for NaN and inf and names the "
        "operation that made them; training is several times slower.");
  }
  torch::manual_seed(static_cast<uint64_t>(config.seed));
  model_ = ResNet(ResNetOptions{config.model.arch, num_classes, config.model.zero_init_residual});
  model_->to(device);
  channels_last_ = config.model.channels_last;
  if (channels_last_) to_channels_last(*model_);

  Sgd::Options sgd;
  sgd.lr = config.optim.lr;
  sgd.momentum = config.optim.momentum;
  sgd.nesterov = config.optim.nesterov;
  optimizer_ = std::make_unique<Sgd>(parameter_groups(*model_, config.optim), sgd);
  scaler_ = std::make_unique<GradScaler>(config.precision == Precision::kFloat16Mixed, device);
}

TrainStep::~TrainStep() {
  if (anomaly_mode_set_) torch::autograd::AnomalyMode::set_enabled(false);
}

struct TrainStep::Graph {
  CudaGraph graph;
  // Static inputs: each replay reads the step's batch and LR from these.
  at::Tensor images;   // [N, 3, H, W], the input's strides
  at::Tensor labels;   // [N] int64 (without mixing)
  at::Tensor targets;  // [N, C] float32 soft targets (when mixing is on)
  at::Tensor lr;       // float32 scalar
  // Static outputs, rewritten by each replay.
  at::Tensor loss;
  at::Tensor logits;
};

void TrainStep::set_after_backward(std::function<void()> hook) {
  after_backward_ = std::move(hook);
  if (graph_)
    give_up_graph(
        "the data-parallel gradient all-reduce runs from autograd hooks on the host, which a "
        "CUDA graph does not capture");
}

bool TrainStep::graphed() const {
  return graph_ && graph_->graph.captured();
}

void TrainStep::give_up_graph(const std::string& why) {
  graph_.reset();
  why_eager_ = why;
  log_warn(str_cat("compile_model: true: the training step runs eagerly: ", why));
}

StepResult TrainStep::run(DeviceBatch& input, double lr, int64_t step) {
  StepResult result;
  const int height = static_cast<int>(input.images.size(2));
  const int width = static_cast<int>(input.images.size(3));

  // 1. Mixup / CutMix, drawn from (seed, step), eagerly in both modes.
  Rng rng(
      derive_seed(static_cast<uint64_t>(options_.seed), kMixStream, static_cast<uint64_t>(step)));
  MixParams mix = sample_mix_params(options_.mix, height, width, rng);
  at::Tensor targets;
  if (mix.kind != MixKind::kNone) {
    targets =
        apply_mix(input.images, input.labels, mix, num_classes_, options_.optim.label_smoothing);
    result.mixed = true;
  }
  optimizer_->set_lr(lr);

  if (graph_ && eager_steps_ >= kGraphWarmupSteps) {
    // A batch of another shape than the captured one (none while training drops the last
    // partial batch) runs eagerly.
    const bool fits =
        !graph_->graph.captured() || (input.images.sizes() == graph_->images.sizes() &&
                                      input.images.strides() == graph_->images.strides());
    if (fits && (graph_->graph.captured() || capture_graph(input)))
      return run_graphed(input, targets, lr, std::move(result));
  }
  ++eager_steps_;
  return run_eager(input, targets, lr, std::move(result));
}

StepResult TrainStep::run_eager(DeviceBatch& input, const at::Tensor& targets, double lr,
                                StepResult result) {
  // 2. Forward under autocast; the loss in float32.
  {
    AutocastGuard autocast(device_.type(), options_.precision);
    result.logits = model_->forward(input.images);
  }
  at::Tensor logits = result.logits.to(at::kFloat);
  result.loss = targets.defined()
                    ? soft_target_cross_entropy(logits, targets)
                    : at::cross_entropy_loss(logits, input.labels, {}, at::Reduction::Mean, -100,
                                             options_.optim.label_smoothing);

  // 3. Backward, scaled for fp16; then the gradient all-reduce of DDP, if any. Gradients are
  // dropped rather than zeroed (one pass less), except under DDP, whose buckets they view.
  optimizer_->zero_grad(/*set_to_none=*/!after_backward_);
  scaler_->scale(result.loss).backward();
  if (after_backward_) after_backward_();

  // 4. Unscale, clip and step; an fp16 overflow skips the step and lowers the scale.
  result.stepped = scaler_->unscale(optimizer_->gradients());
  // The gradients, not the loss: after DDP's all-reduce they are the same on every rank.
  if (result.stepped && options_.skip_non_finite)
    result.stepped = gradients_are_finite(optimizer_->gradients());
  if (result.stepped) {
    clip_gradients();
    optimizer_->step();
  }
  scaler_->update(result.stepped);
  result.loss = result.loss.detach();
  return result;
}

StepResult TrainStep::run_graphed(DeviceBatch& input, const at::Tensor& targets, double lr,
                                  StepResult result) {
  Graph& g = *graph_;
  g.images.copy_(input.images);
  if (g.targets.defined()) {
    g.targets.copy_(targets.defined() ? targets
                                      : smooth_one_hot(input.labels, num_classes_,
                                                       options_.optim.label_smoothing));
  } else {
    g.labels.copy_(input.labels);
  }
  g.lr.fill_(lr);
  g.graph.replay();
  // Copies: the next replay overwrites the static outputs.
  result.loss = g.loss.clone();
  result.logits = g.logits.clone();
  // An fp16 overflow skipped the update on the device; reading it back would cost the host
  // sync the graph avoids, so `stepped` stays true (the scale shows the skip).
  return result;
}

bool TrainStep::capture_graph(const DeviceBatch& input) {
  Graph& g = *graph_;
  auto f32 = at::TensorOptions().dtype(at::kFloat).device(device_);
  g.images = at::empty_like(input.images).copy_(input.images);
  if (mixing_enabled(options_.mix)) {
    // Steps that do not mix use one-hot smoothed targets: the same loss as label smoothing.
    g.targets = at::empty({input.images.size(0), num_classes_}, f32);
    g.targets.copy_(smooth_one_hot(input.labels, num_classes_, options_.optim.label_smoothing));
  } else {
    g.labels = input.labels.clone();
  }
  g.lr = at::full({}, optimizer_->lr(), f32);
  // Momentum buffers and the scaler's tensors exist before the capture; gradients are
  // allocated inside it, in the graph's memory, and rewritten (not accumulated) by each replay.
  optimizer_->materialize_momentum_buffers();
  optimizer_->zero_grad(/*set_to_none=*/true);
  try {
    g.graph.capture([this] { graph_body(); });
  } catch (const std::exception& e) {
    optimizer_->zero_grad(/*set_to_none=*/true);
    give_up_graph(e.what());
    return false;
  }
  log_info(str_cat("compile_model: the training step runs as a CUDA graph (captured after ",
                   kGraphWarmupSteps, " eager steps, batch ", input.images.size(0), ")"));
  return true;
}

void TrainStep::graph_body() {
  // run_eager's steps without anything that reads back to the host: the loss scaler checks
  // for overflow on the device and the optimizer skips its update there.
  Graph& g = *graph_;
  at::Tensor logits;
  {
    AutocastGuard autocast(device_.type(), options_.precision);
    logits = model_->forward(g.images);
  }
  at::Tensor logits32 = logits.to(at::kFloat);
  at::Tensor loss = g.targets.defined()
                        ? soft_target_cross_entropy(logits32, g.targets)
                        : at::cross_entropy_loss(logits32, g.labels, {}, at::Reduction::Mean, -100,
                                                 options_.optim.label_smoothing);
  scaler_->scale(loss).backward();
  std::vector<at::Tensor> grads = optimizer_->gradients();
  at::Tensor found_inf;
  if (scaler_->enabled()) {
    scaler_->unscale_on_device(grads);
    found_inf = scaler_->found_inf();
  }
  clip_gradients_on_device(grads);
  optimizer_->step_on_device(g.lr, found_inf);
  scaler_->update_on_device();
  g.loss = loss.detach();
  g.logits = logits.detach();
}

void TrainStep::clip_gradients_on_device(const std::vector<at::Tensor>& grads) {
  // What torch.nn.utils.clip_grad_norm_/clip_grad_value_ compute, without returning the norm
  // to the host.
  const double limit = options_.optim.gradient_clip_val;
  if (limit <= 0 || grads.empty()) return;
  at::NoGradGuard no_grad;
  if (options_.optim.gradient_clip_algorithm == ClipAlgorithm::kNorm) {
    std::vector<at::Tensor> norms;
    for (const auto& g : grads) norms.push_back(g.norm().to(at::kFloat));
    at::Tensor coef = ((at::stack(norms).norm() + 1e-6).reciprocal() * limit).clamp_max(1.0);
    for (const auto& g : grads) g.mul_(coef);
  } else {
    for (const auto& g : grads) g.clamp_(-limit, limit);
  }
}

void TrainStep::clip_gradients() {
  const double limit = options_.optim.gradient_clip_val;
  if (limit <= 0) return;
  std::vector<at::Tensor> params = optimizer_->parameters();
  if (options_.optim.gradient_clip_algorithm == ClipAlgorithm::kNorm) {
    torch::nn::utils::clip_grad_norm_(params, limit);
  } else {
    torch::nn::utils::clip_grad_value_(params, limit);
  }
}

}  // namespace imagenet
