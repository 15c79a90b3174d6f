// Implements train/train_step.h.
#include "imagenet/train/train_step.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/utils.h>

#include "imagenet/util/rng.h"

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

TrainStep::TrainStep(const Config& config, c10::Device device, int64_t num_classes)
    : config_(config), device_(device), num_classes_(num_classes) {
  torch::manual_seed(static_cast<uint64_t>(config.train.seed));
  model_ = ResNet(ResNetOptions{config.model.arch, num_classes, config.model.zero_init_residual});
  model_->to(device);
  channels_last_ = config.model.channels_last;
  if (channels_last_) to_channels_last(*model_);

  Sgd::Options sgd;
  sgd.lr = config.optim.lr;
  sgd.momentum = config.optim.momentum;
  sgd.nesterov = config.optim.nesterov;
  optimizer_ = std::make_unique<Sgd>(parameter_groups(*model_, config.optim), sgd);
  scaler_ =
      std::make_unique<GradScaler>(config.train.precision == Precision::kFloat16Mixed, device);
}

StepResult TrainStep::run(DeviceBatch& input, double lr, int64_t step) {
  StepResult result;
  const int height = static_cast<int>(input.images.size(2));
  const int width = static_cast<int>(input.images.size(3));

  // 1. Mixup / CutMix, drawn from (seed, step).
  Rng rng(derive_seed(static_cast<uint64_t>(config_.train.seed), kMixStream,
                      static_cast<uint64_t>(step)));
  MixParams mix = sample_mix_params(config_.mix, height, width, rng);
  at::Tensor targets;
  if (mix.kind != MixKind::kNone) {
    targets =
        apply_mix(input.images, input.labels, mix, num_classes_, config_.optim.label_smoothing);
    result.mixed = true;
  }

  // 2. Forward under autocast; the loss in float32.
  {
    AutocastGuard autocast(device_.type(), config_.train.precision);
    result.logits = model_->forward(input.images);
  }
  at::Tensor logits = result.logits.to(at::kFloat);
  result.loss = targets.defined()
                    ? soft_target_cross_entropy(logits, targets)
                    : at::cross_entropy_loss(logits, input.labels, {}, at::Reduction::Mean, -100,
                                             config_.optim.label_smoothing);

  // 3. Backward, scaled for fp16; then the gradient all-reduce of DDP, if any.
  optimizer_->set_lr(lr);
  optimizer_->zero_grad();
  scaler_->scale(result.loss).backward();
  if (after_backward_) after_backward_();

  // 4. Unscale, clip and step; an fp16 overflow skips the step and lowers the scale.
  result.stepped = scaler_->unscale(optimizer_->gradients());
  if (result.stepped) {
    clip_gradients();
    optimizer_->step();
  }
  scaler_->update(result.stepped);
  result.loss = result.loss.detach();
  return result;
}

void TrainStep::clip_gradients() {
  const double limit = config_.optim.gradient_clip_val;
  if (limit <= 0) return;
  std::vector<at::Tensor> params = optimizer_->parameters();
  if (config_.optim.gradient_clip_algorithm == ClipAlgorithm::kNorm) {
    torch::nn::utils::clip_grad_norm_(params, limit);
  } else {
    torch::nn::utils::clip_grad_value_(params, limit);
  }
}

}  // namespace imagenet
