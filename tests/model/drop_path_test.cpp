// Tests model/drop_path and stochastic depth in model/resnet: timm's linear rate rule, the
// masks' expectation over many draws and their seeding, evaluation unchanged, training with
// all-keep masks equal to no drop path, and torchvision's names untouched.
#include "imagenet/model/drop_path.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "imagenet/model/resnet.h"

namespace imagenet {
namespace {

TEST(DropPath, RatesGrowLinearlyOverTheNetworksBlocks) {
  // timm: drop_path_rate * block_idx / (num_blocks - 1); ResNet-50 has 16 blocks.
  const auto rates = drop_path_rates(0.05, 16);
  ASSERT_EQ(rates.size(), 16u);
  EXPECT_EQ(rates[0], 0.0);
  EXPECT_DOUBLE_EQ(rates[1], 0.05 / 15);
  EXPECT_DOUBLE_EQ(rates[15], 0.05);
  ResNet model(ResNetOptions{"resnet50", 10, false, 0.05});
  EXPECT_EQ(model->drop_path_rates(), rates);
  ResNet small(ResNetOptions{"resnet18", 10, false, 0.1});
  EXPECT_DOUBLE_EQ(small->drop_path_rates()[7], 0.1);
  EXPECT_DOUBLE_EQ(small->drop_path_rates()[1], 0.1 / 7);
}

TEST(DropPath, MasksKeepTheExpectationAndFollowTheSeed) {
  const std::vector<double> rates = {0.0, 0.2, 0.5};
  Rng rng(4);
  const int64_t n = 200000;
  const at::Tensor masks = sample_drop_path_masks(rates, n, rng);
  ASSERT_EQ(masks.sizes(), (at::IntArrayRef{3, n}));
  EXPECT_TRUE(torch::equal(masks[0], torch::ones({n})));
  for (int b = 1; b < 3; ++b) {
    const double keep = 1 - rates[b];
    const at::Tensor row = masks[b];
    // Every entry is 0 or 1 / keep; the mean (the expectation of a dropped branch) is 1.
    EXPECT_TRUE(torch::logical_or(row == 0, torch::isclose(row, torch::full_like(row, 1 / keep)))
                    .all()
                    .item<bool>());
    EXPECT_NEAR(row.mean().item<double>(), 1.0, 0.01);
    EXPECT_NEAR((row == 0).to(torch::kDouble).mean().item<double>(), rates[b], 0.005);
  }
  // drop_path(x, mask) over many draws averages to x.
  const at::Tensor x = torch::randn({1, 3, 2, 2});
  Rng draws(9);
  at::Tensor sum = torch::zeros_like(x);
  for (int i = 0; i < 20000; ++i) sum += drop_path(x, sample_drop_path_masks({0.3}, 1, draws)[0]);
  EXPECT_TRUE(torch::allclose(sum / 20000, x, 0.03, 0.03));
  Rng a(17), b(17), c(18);
  EXPECT_TRUE(
      torch::equal(sample_drop_path_masks(rates, 64, a), sample_drop_path_masks(rates, 64, b)));
  EXPECT_FALSE(
      torch::equal(sample_drop_path_masks(rates, 64, a), sample_drop_path_masks(rates, 64, c)));
}

TEST(DropPath, ResNetKeepsNamesEvaluatesUnchangedAndUsesTheMasks) {
  torch::manual_seed(3);
  ResNet plain(ResNetOptions{"resnet18", 7, false});
  ResNet dropped(ResNetOptions{"resnet18", 7, false, 0.4});
  // The same parameters and buffers, by torchvision's names.
  auto ours = dropped->named_parameters();
  auto theirs = plain->named_parameters();
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_EQ(dropped->named_buffers().size(), plain->named_buffers().size());
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : theirs) ours[item.key()].copy_(item.value());
  }
  const at::Tensor x = torch::randn({6, 3, 32, 32});
  plain->eval();
  dropped->eval();
  EXPECT_TRUE(torch::equal(plain->forward(x), dropped->forward(x)));  // eval: never drops

  plain->train();
  dropped->train();
  const int64_t blocks = static_cast<int64_t>(dropped->drop_path_rates().size());
  dropped->set_drop_path_masks(torch::ones({blocks, 6}));  // keep every branch, scale 1
  const at::Tensor expected = plain->forward(x);
  EXPECT_TRUE(torch::allclose(dropped->forward(x), expected, 1e-5, 1e-6));
  // The same masks give the same output; different masks another.
  Rng a(1), b(1);
  dropped->set_drop_path_masks(sample_drop_path_masks(dropped->drop_path_rates(), 6, a));
  const at::Tensor first = dropped->forward(x);
  dropped->set_drop_path_masks(sample_drop_path_masks(dropped->drop_path_rates(), 6, b));
  EXPECT_TRUE(torch::equal(dropped->forward(x), first));
  EXPECT_FALSE(torch::allclose(first, expected, 1e-3, 1e-3));
  EXPECT_THROW(dropped->set_drop_path_masks(torch::ones({3, 6})), std::exception);
}

}  // namespace
}  // namespace imagenet
