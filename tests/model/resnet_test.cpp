// Tests model/resnet: torchvision's parameter counts, names and initialization rules.
#include "imagenet/model/resnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace imagenet {
namespace {

int64_t params_of(const std::string& arch, int64_t classes) {
  ResNet model(ResNetOptions{arch, classes, false});
  return count_parameters(*model);
}

TEST(ResNet, ParameterCountsMatchTorchvision) {
  // torchvision.models.<arch>(num_classes=...): sum(p.numel() for p in m.parameters())
  EXPECT_EQ(params_of("resnet50", 1000), 25557032);
  EXPECT_EQ(params_of("resnet50", 100), 23712932);
  EXPECT_EQ(params_of("resnet18", 1000), 11689512);
  EXPECT_EQ(params_of("resnet34", 1000), 21797672);
  EXPECT_EQ(params_of("resnet101", 1000), 44549160);
  EXPECT_EQ(params_of("resnet152", 1000), 60192808);
}

TEST(ResNet, NamesFollowTorchvision) {
  ResNet model(ResNetOptions{"resnet50", 10, false});
  auto params = model->named_parameters();
  EXPECT_NE(params.find("conv1.weight"), nullptr);
  EXPECT_NE(params.find("bn1.bias"), nullptr);
  EXPECT_NE(params.find("layer1.0.conv1.weight"), nullptr);
  EXPECT_NE(params.find("layer1.0.downsample.0.weight"), nullptr);
  EXPECT_NE(params.find("layer1.0.downsample.1.weight"), nullptr);
  EXPECT_NE(params.find("layer4.2.bn3.weight"), nullptr);
  EXPECT_NE(params.find("fc.weight"), nullptr);
  EXPECT_EQ(params.find("layer1.1.downsample.0.weight"), nullptr);
  auto buffers = model->named_buffers();
  EXPECT_NE(buffers.find("layer2.3.bn2.running_var"), nullptr);
  EXPECT_NE(buffers.find("bn1.num_batches_tracked"), nullptr);
  // torchvision's resnet50 state_dict has 320 entries (161 parameters, 159 buffers).
  EXPECT_EQ(params.size(), 161u);
  EXPECT_EQ(buffers.size(), 159u);
}

TEST(ResNet, InitializationRules) {
  torch::manual_seed(0);
  ResNet model(ResNetOptions{"resnet50", 10, /*zero_init_residual=*/true});
  auto p = model->named_parameters();
  EXPECT_TRUE(p["bn1.weight"].eq(1).all().item<bool>());
  EXPECT_TRUE(p["bn1.bias"].eq(0).all().item<bool>());
  EXPECT_TRUE(p["layer1.0.bn3.weight"].eq(0).all().item<bool>());
  EXPECT_TRUE(p["layer1.0.bn2.weight"].eq(1).all().item<bool>());
  // kaiming_normal_(mode=fan_out, relu): std = sqrt(2 / (out_channels * k * k)).
  auto w = p["layer3.0.conv2.weight"];  // 256 x 256 x 3 x 3
  EXPECT_NEAR(w.std().item<double>(), std::sqrt(2.0 / (256 * 9)), 0.002);
  // nn.Linear's default: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  EXPECT_LE(p["fc.weight"].abs().max().item<double>(), 1.0 / std::sqrt(2048.0) + 1e-7);
}

TEST(ResNet, ForwardShapes) {
  ResNet model(ResNetOptions{"resnet18", 7, false});
  model->eval();
  auto out = model->forward(torch::randn({2, 3, 64, 48}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 7}));
  auto cl = model->forward(torch::randn({2, 3, 32, 32}).contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_EQ(cl.sizes(), (std::vector<int64_t>{2, 7}));
}

TEST(ResNet, NormEvalKeepsBatchNormInEvalModeWhileTraining) {
  // norm_eval: train() leaves every BatchNorm in eval mode, so a training forward normalizes
  // with the running statistics and leaves them alone; the other modules train.
  for (const bool norm_eval : {false, true}) {
    ResNetOptions options{"resnet18", 4, false};
    options.norm_eval = norm_eval;
    ResNet model(options);
    model->train();
    EXPECT_TRUE(model->is_training());
    for (auto* bn : model->batch_norm_layers()) EXPECT_EQ(bn->is_training(), !norm_eval);
    const at::Tensor before = model->named_buffers()["bn1.running_mean"].clone();
    model->forward(torch::randn({2, 3, 32, 32}) + 1.0);
    EXPECT_EQ(torch::equal(before, model->named_buffers()["bn1.running_mean"]), norm_eval);
    model->eval();
    for (auto* bn : model->batch_norm_layers()) EXPECT_FALSE(bn->is_training());
  }
}

}  // namespace
}  // namespace imagenet
