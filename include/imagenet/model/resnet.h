// ResNet-18/34/50/101/152 as torchvision builds them (v1.5: stride in the 3x3 convolution),
// with torchvision's parameter names (conv1, bn1, layer1.0.conv1.weight, ..., fc) and
// initialization, so state dicts map one to one in both directions. Optional stochastic depth
// on the residual branches (timm's drop_path_rate, model/drop_path.h) adds no parameters or
// buffers.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace imagenet {

/// Computes a BatchNorm layer's output from its input. Every BatchNorm of the ResNet runs
/// through this function when one is set, so distributed training can swap in SyncBatchNorm
/// (statistics over all ranks) while the layers, and so the parameter and buffer names
/// (weight, bias, running_mean, running_var, num_batches_tracked), stay torchvision's.
using BatchNormFn =
    std::function<torch::Tensor(torch::nn::BatchNorm2dImpl& layer, const torch::Tensor& input)>;

/// The BatchNorm function shared by a ResNet and its blocks; empty means each layer's forward.
using BatchNormSlot = std::shared_ptr<BatchNormFn>;

/// Drop-path keep masks for the next training forward, shared by a ResNet and its blocks:
/// [num_blocks, N] on the input's device (model/drop_path.h), or undefined.
struct DropPathMasks {
  at::Tensor masks;
};
using DropPathSlot = std::shared_ptr<DropPathMasks>;

/// `layer`'s output through the slot's function, or its own forward when none is set.
torch::Tensor apply_batch_norm(const BatchNormSlot& slot, torch::nn::BatchNorm2dImpl& layer,
                               const torch::Tensor& input);

struct ResNetOptions {
  std::string arch = "resnet50";
  int64_t num_classes = 1000;
  /// Zero the last BatchNorm weight of every residual block (torchvision's option).
  bool zero_init_residual = false;
  /// Stochastic depth: the last block's drop rate (0 at the first block, linear between).
  double drop_path_rate = 0.0;
  /// BatchNorm layers stay in eval mode when the model is put in training mode (norm_eval).
  bool norm_eval = false;
};

/// Where a block sits for stochastic depth: its index over the whole network and its rate.
struct DropPathSite {
  int64_t index = 0;
  double rate = 0.0;
  DropPathSlot slot = std::make_shared<DropPathMasks>();
};

/// Two 3x3 convolutions (ResNet-18/34).
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride,
                 BatchNormSlot norm = std::make_shared<BatchNormFn>(), DropPathSite drop = {});
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};  ///< conv1x1 + BatchNorm when the shape changes

 private:
  BatchNormSlot norm_;
  DropPathSite drop_;
};
TORCH_MODULE(BasicBlock);

/// 1x1, 3x3 (with the stride), 1x1 convolutions (ResNet-50/101/152).
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride,
                 BatchNormSlot norm = std::make_shared<BatchNormFn>(), DropPathSite drop = {});
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};  ///< conv1x1 + BatchNorm when the shape changes

 private:
  BatchNormSlot norm_;
  DropPathSite drop_;
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const ResNetOptions& options);
  /// x: [N, 3, H, W] float (any memory format) -> logits [N, num_classes].
  torch::Tensor forward(torch::Tensor x);
  /// Module::train, except that with options().norm_eval the BatchNorm layers stay in eval mode.
  void train(bool on = true) override;

  const ResNetOptions& options() const { return options_; }

  /// Routes every BatchNorm layer through `fn` (an empty function restores their own forward).
  void set_batch_norm_fn(BatchNormFn fn) { *norm_ = std::move(fn); }
  /// Every BatchNorm layer, in registration order.
  std::vector<torch::nn::BatchNorm2dImpl*> batch_norm_layers();

  /// Each residual block's drop-path rate, in network order (all 0 without stochastic depth).
  const std::vector<double>& drop_path_rates() const { return drop_path_rates_; }
  /// Keep masks for the next training forward ([num_blocks, N] on the input's device, from
  /// sample_drop_path_masks); that forward uses them once. A training forward without masks
  /// draws them with LibTorch's generator; evaluation never drops.
  void set_drop_path_masks(at::Tensor masks);

 private:
  torch::nn::Sequential make_layer(bool bottleneck, int64_t planes, int64_t blocks, int64_t stride);
  void initialize(bool bottleneck);

  ResNetOptions options_;
  BatchNormSlot norm_ = std::make_shared<BatchNormFn>();
  DropPathSlot drop_slot_ = std::make_shared<DropPathMasks>();
  std::vector<double> drop_path_rates_;
  int64_t next_block_ = 0;
  int64_t in_planes_ = 64;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

/// The architectures make_resnet knows.
std::vector<std::string> resnet_architectures();

/// Number of trainable parameters (25,557,032 for ResNet-50 at 1000 classes).
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace imagenet
