// Implements train/train_step.h.
#include "imagenet/train/train_step.h"

#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/utils.h>

#include "imagenet/model/drop_path.h"
#include "imagenet/train/adamw.h"
#include "imagenet/train/bce_loss.h"
#include "imagenet/train/cuda_graph.h"
#include "imagenet/train/lamb.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/rng.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

constexpr uint64_t kMixStream = 0x6d1c;   // seed stream of the per-step mixing draws
constexpr uint64_t kDropStream = 0xd209;  // and of the drop-path masks

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

std::unique_ptr<Optimizer> make_optimizer(torch::nn::Module& model, const OptimConfig& o) {
  std::vector<Optimizer::ParamGroup> groups = parameter_groups(model, o);
  if (o.optimizer == OptimizerKind::kAdamW) {
    AdamW::Options adamw;
    adamw.lr = o.lr;
    return std::make_unique<AdamW>(std::move(groups), adamw);
  }
  if (o.optimizer == OptimizerKind::kLamb) {
    Lamb::Options lamb;
    lamb.lr = o.lr;
    return std::make_unique<Lamb>(std::move(groups), lamb);
  }
  Sgd::Options sgd;
  sgd.lr = o.lr;
  sgd.momentum = o.momentum;
  sgd.nesterov = o.nesterov;
  return std::make_unique<Sgd>(std::move(groups), sgd);
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
    } else if (config.optim.optimizer != OptimizerKind::kSgd) {
      why_eager_ = "only the SGD update runs inside a CUDA graph (optimizer is not sgd)";
    } else if (config.optim.bce_loss || config.model.drop_path_rate > 0 ||
               config.mix.mixup_mode != MixMode::kBatch || config.mix.mixup_off_epoch > 0) {
      why_eager_ = "bce_loss, drop_path_rate, mixup_mode and mixup_off_epoch run eagerly";
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
  model_ = ResNet(ResNetOptions{config.model.arch, num_classes, config.model.zero_init_residual,
                                config.model.drop_path_rate, config.model.norm_eval});
  model_->to(device);
  channels_last_ = config.model.channels_last;
  if (channels_last_) to_channels_last(*model_);

  optimizer_ = make_optimizer(*model_, config.optim);
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

at::Tensor TrainStep::prepare_batch(DeviceBatch& input, int64_t step, int64_t micro, int64_t epoch,
                                    StepResult& result) {
  const int height = static_cast<int>(input.images.size(2));
  const int width = static_cast<int>(input.images.size(3));
  const int64_t n = input.images.size(0);
  // Mixup / CutMix, drawn from (seed, step) (and the micro-batch), eagerly in both modes; none
  // from mixup_off_epoch on.
  const MixConfig& mc = options_.mix;
  const uint64_t seed = static_cast<uint64_t>(options_.seed);
  Rng rng(derive_seed(seed, kMixStream, static_cast<uint64_t>(step), static_cast<uint64_t>(micro)));
  at::Tensor targets;
  const bool mix_off = mc.mixup_off_epoch > 0 && epoch >= mc.mixup_off_epoch;
  if (!mix_off && mc.mixup_mode == MixMode::kBatch) {
    MixParams mix = sample_mix_params(mc, height, width, rng);
    if (mix.kind != MixKind::kNone) {
      targets =
          apply_mix(input.images, input.labels, mix, num_classes_, options_.optim.label_smoothing);
      result.mixed = true;
    }
  } else if (!mix_off && mixing_enabled(mc)) {
    std::vector<MixParams> mix = sample_mix_params(mc, mc.mixup_mode, n, height, width, rng);
    targets =
        apply_mix(input.images, input.labels, mix, num_classes_, options_.optim.label_smoothing);
    result.mixed = true;
  }
  // Stochastic depth: this batch's keep masks from (seed, step), not LibTorch's generator.
  if (options_.model.drop_path_rate > 0) {
    Rng drop(
        derive_seed(seed, kDropStream, static_cast<uint64_t>(step), static_cast<uint64_t>(micro)));
    model_->set_drop_path_masks(
        sample_drop_path_masks(model_->drop_path_rates(), n, drop).to(device_));
  }
  return targets;
}

StepResult TrainStep::run(std::vector<DeviceBatch>& micro_batches, double lr, int64_t step,
                          int64_t epoch) {
  IMAGENET_CHECK(!micro_batches.empty(), "a step needs at least one batch");
  if (micro_batches.size() == 1) return run(micro_batches.front(), lr, step, epoch);
  if (graph_) give_up_graph("accumulate_grad_batches runs the step eagerly");
  ++eager_steps_;
  StepResult result;
  optimizer_->set_lr(lr);
  optimizer_->zero_grad(/*set_to_none=*/!after_backward_);
  const double count = static_cast<double>(micro_batches.size());
  std::vector<at::Tensor> losses, logits;
  for (size_t i = 0; i < micro_batches.size(); ++i) {
    DeviceBatch& input = micro_batches[i];
    const bool last = i + 1 == micro_batches.size();
    const at::Tensor targets = prepare_batch(input, step, static_cast<int64_t>(i), epoch, result);
    at::Tensor out;
    {
      AutocastGuard autocast(device_.type(), options_.precision);
      out = model_->forward(input.images);
    }
    const at::Tensor loss = loss_of(out.to(at::kFloat), input.labels, targets);
    // Only the last backward all-reduces; the others add to the gradients locally.
    if (gradient_sync_) gradient_sync_(last);
    scaler_->scale(loss / count).backward();
    losses.push_back(loss.detach());
    logits.push_back(out.detach());
  }
  if (after_backward_) after_backward_();
  result.stepped = update_from_gradients();
  result.loss = at::stack(losses).mean();
  result.logits = at::cat(logits);
  return result;
}

bool TrainStep::update_from_gradients() {
  // Unscale, clip and step; an fp16 overflow skips the step and lowers the scale.
  bool stepped = scaler_->unscale(optimizer_->gradients());
  // The gradients, not the loss: after DDP's all-reduce they are the same on every rank.
  if (stepped && options_.skip_non_finite) stepped = gradients_are_finite(optimizer_->gradients());
  if (stepped) {
    clip_gradients();
    optimizer_->step();
  }
  scaler_->update(stepped);
  return stepped;
}

StepResult TrainStep::run(DeviceBatch& input, double lr, int64_t step, int64_t epoch) {
  StepResult result;
  const at::Tensor targets = prepare_batch(input, step, /*micro=*/0, epoch, result);
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
  result.loss = loss_of(result.logits.to(at::kFloat), input.labels, targets);

  // 3. Backward, scaled for fp16; then the gradient all-reduce of DDP, if any. Gradients are
  // dropped rather than zeroed (one pass less), except under DDP, whose buckets they view.
  optimizer_->zero_grad(/*set_to_none=*/!after_backward_);
  if (gradient_sync_) gradient_sync_(true);
  scaler_->scale(result.loss).backward();
  if (after_backward_) after_backward_();

  // 4. Unscale, clip and step; an fp16 overflow skips the step and lowers the scale.
  result.stepped = update_from_gradients();
  result.loss = result.loss.detach();
  return result;
}

at::Tensor TrainStep::loss_of(const at::Tensor& logits32, const at::Tensor& labels,
                              const at::Tensor& targets) const {
  const OptimConfig& o = options_.optim;
  if (o.bce_loss)
    return binary_cross_entropy_loss(logits32, targets.defined() ? targets : labels,
                                     o.label_smoothing,
                                     o.bce_target_thresh > 0 ? o.bce_target_thresh : -1.0);
  if (targets.defined()) return soft_target_cross_entropy(logits32, targets);
  return at::cross_entropy_loss(logits32, labels, {}, at::Reduction::Mean, -100, o.label_smoothing);
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
  sgd()->materialize_momentum_buffers();
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
  sgd()->step_on_device(g.lr, found_inf);
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
