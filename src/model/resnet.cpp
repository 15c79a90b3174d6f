// Implements model/resnet.h, following torchvision/models/resnet.py line for line.
#include "imagenet/model/resnet.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/init.h>

#include <map>

#include "imagenet/model/drop_path.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

struct ArchSpec {
  bool bottleneck;
  std::array<int64_t, 4> blocks;
};

const std::map<std::string, ArchSpec>& arch_specs() {
  static const std::map<std::string, ArchSpec> specs = {
      {"resnet18", {false, {2, 2, 2, 2}}},  {"resnet34", {false, {3, 4, 6, 3}}},
      {"resnet50", {true, {3, 4, 6, 3}}},   {"resnet101", {true, {3, 4, 23, 3}}},
      {"resnet152", {true, {3, 8, 36, 3}}},
  };
  return specs;
}

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

torch::nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return torch::nn::Sequential(conv1x1(in, out, stride), torch::nn::BatchNorm2d(out));
}

/// The shortcut of a block: x, or downsample's conv1x1 then its BatchNorm (through the slot).
torch::Tensor shortcut(torch::nn::Sequential downsample, const BatchNormSlot& norm,
                       const torch::Tensor& x) {
  if (!downsample) return x;
  torch::Tensor y = downsample[0]->as<torch::nn::Conv2dImpl>()->forward(x);
  return apply_batch_norm(norm, *downsample[1]->as<torch::nn::BatchNorm2dImpl>(), y);
}

/// The residual branch after stochastic depth: as it is in evaluation or at rate 0, else times
/// the block's row of the slot's masks (or a fresh Bernoulli draw when none were set).
torch::Tensor drop_branch(const torch::Tensor& branch, const DropPathSite& drop, bool training) {
  if (!training || drop.rate <= 0) return branch;
  const at::Tensor& masks = drop.slot->masks;
  if (masks.defined()) {
    IMAGENET_CHECK(masks.size(1) == branch.size(0), "drop-path masks for ", masks.size(1),
                   " samples, the batch has ", branch.size(0));
    return drop_path(branch, masks[drop.index]);
  }
  const double keep = 1.0 - drop.rate;
  return drop_path(
      branch,
      at::empty({branch.size(0)}, branch.options().dtype(at::kFloat)).bernoulli_(keep).div_(keep));
}

int64_t count_blocks(const std::array<int64_t, 4>& blocks) {
  return blocks[0] + blocks[1] + blocks[2] + blocks[3];
}

}  // namespace

torch::Tensor apply_batch_norm(const BatchNormSlot& slot, torch::nn::BatchNorm2dImpl& layer,
                               const torch::Tensor& input) {
  return slot && *slot ? (*slot)(layer, input) : layer.forward(input);
}

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride,
                               BatchNormSlot norm, DropPathSite drop)
    : conv1(register_module("conv1", conv3x3(in_planes, planes, stride))),
      conv2(register_module("conv2", conv3x3(planes, planes, 1))),
      bn1(register_module("bn1", torch::nn::BatchNorm2d(planes))),
      bn2(register_module("bn2", torch::nn::BatchNorm2d(planes))),
      norm_(std::move(norm)),
      drop_(std::move(drop)) {
  auto ds = make_downsample(in_planes, planes * kExpansion, stride);
  if (ds) downsample = register_module("downsample", ds);
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  torch::Tensor identity = shortcut(downsample, norm_, x);
  torch::Tensor out = torch::relu(apply_batch_norm(norm_, *bn1, conv1->forward(x)));
  out = apply_batch_norm(norm_, *bn2, conv2->forward(out));
  return torch::relu(drop_branch(out, drop_, is_training()) + identity);
}

BottleneckImpl::BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride,
                               BatchNormSlot norm, DropPathSite drop)
    : conv1(register_module("conv1", conv1x1(in_planes, planes))),
      conv2(register_module("conv2", conv3x3(planes, planes, stride))),
      conv3(register_module("conv3", conv1x1(planes, planes * kExpansion))),
      bn1(register_module("bn1", torch::nn::BatchNorm2d(planes))),
      bn2(register_module("bn2", torch::nn::BatchNorm2d(planes))),
      bn3(register_module("bn3", torch::nn::BatchNorm2d(planes * kExpansion))),
      norm_(std::move(norm)),
      drop_(std::move(drop)) {
  auto ds = make_downsample(in_planes, planes * kExpansion, stride);
  if (ds) downsample = register_module("downsample", ds);
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  torch::Tensor identity = shortcut(downsample, norm_, x);
  torch::Tensor out = torch::relu(apply_batch_norm(norm_, *bn1, conv1->forward(x)));
  out = torch::relu(apply_batch_norm(norm_, *bn2, conv2->forward(out)));
  out = apply_batch_norm(norm_, *bn3, conv3->forward(out));
  return torch::relu(drop_branch(out, drop_, is_training()) + identity);
}

ResNetImpl::ResNetImpl(const ResNetOptions& options) : options_(options) {
  auto spec = arch_specs().find(options.arch);
  if (spec == arch_specs().end())
    throw UsageError(str_cat("unknown model '", options.arch,
                             "'; choose one of: ", str_join(resnet_architectures(), ", ")));
  IMAGENET_CHECK(options.num_classes > 0, "num_classes must be positive");
  const bool bottleneck = spec->second.bottleneck;
  const auto& blocks = spec->second.blocks;
  drop_path_rates_ = imagenet::drop_path_rates(options.drop_path_rate, count_blocks(blocks));

  conv1 = register_module(
      "conv1",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  layer1 = register_module("layer1", make_layer(bottleneck, 64, blocks[0], 1));
  layer2 = register_module("layer2", make_layer(bottleneck, 128, blocks[1], 2));
  layer3 = register_module("layer3", make_layer(bottleneck, 256, blocks[2], 2));
  layer4 = register_module("layer4", make_layer(bottleneck, 512, blocks[3], 2));
  fc = register_module("fc", torch::nn::Linear(512 * (bottleneck ? 4 : 1), options.num_classes));
  initialize(bottleneck);
}

torch::nn::Sequential ResNetImpl::make_layer(bool bottleneck, int64_t planes, int64_t blocks,
                                             int64_t stride) {
  torch::nn::Sequential layer;
  const int64_t expansion = bottleneck ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;
  for (int64_t i = 0; i < blocks; ++i) {
    int64_t s = i == 0 ? stride : 1;
    DropPathSite drop{next_block_, drop_path_rates_[next_block_], drop_slot_};
    ++next_block_;
    if (bottleneck) {
      layer->push_back(Bottleneck(in_planes_, planes, s, norm_, drop));
    } else {
      layer->push_back(BasicBlock(in_planes_, planes, s, norm_, drop));
    }
    in_planes_ = planes * expansion;
  }
  return layer;
}

void ResNetImpl::initialize(bool bottleneck) {
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
  // fc keeps torch::nn::Linear's default init, which is nn.Linear's (kaiming_uniform, a=sqrt(5)).
  if (!options_.zero_init_residual) return;
  for (auto& module : modules(/*include_self=*/false)) {
    if (bottleneck) {
      if (auto* block = module->as<Bottleneck>()) torch::nn::init::zeros_(block->bn3->weight);
    } else {
      if (auto* block = module->as<BasicBlock>()) torch::nn::init::zeros_(block->bn2->weight);
    }
  }
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = torch::relu(apply_batch_norm(norm_, *bn1, conv1->forward(x)));
  x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  if (is_training()) drop_slot_->masks = at::Tensor();  // the masks serve one forward
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return fc->forward(x);
}

void ResNetImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (on && options_.norm_eval)
    for (torch::nn::BatchNorm2dImpl* layer : batch_norm_layers()) layer->eval();
}

void ResNetImpl::set_drop_path_masks(at::Tensor masks) {
  IMAGENET_CHECK(
      !masks.defined() ||
          (masks.dim() == 2 && masks.size(0) == static_cast<int64_t>(drop_path_rates_.size())),
      "drop-path masks must be [", drop_path_rates_.size(), ", N], not ", masks.sizes());
  drop_slot_->masks = std::move(masks);
}

std::vector<torch::nn::BatchNorm2dImpl*> ResNetImpl::batch_norm_layers() {
  std::vector<torch::nn::BatchNorm2dImpl*> layers;
  for (auto& module : modules(/*include_self=*/false))
    if (auto* bn = module->as<torch::nn::BatchNorm2d>()) layers.push_back(bn);
  return layers;
}

std::vector<std::string> resnet_architectures() {
  std::vector<std::string> names;
  for (const auto& [name, spec] : arch_specs()) names.push_back(name);
  return names;
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace imagenet
