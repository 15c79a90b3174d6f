// Tests train/mixup against timm's formulas (timm/data/mixup.py: rand_bbox,
// cutmix_bbox_and_lam, mixup_target) and the sampling rules.
#include "imagenet/train/mixup.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace imagenet {
namespace {

TEST(Mixup, SmoothedOneHotAsTimm) {
  auto t = smooth_one_hot(torch::tensor({2, 0}), 4, 0.1);
  // off = 0.1 / 4 = 0.025, on = 1 - 0.1 + 0.025 = 0.925
  EXPECT_NEAR(t[0][2].item<float>(), 0.925f, 1e-7);
  EXPECT_NEAR(t[0][1].item<float>(), 0.025f, 1e-7);
  EXPECT_NEAR(t.sum(1)[1].item<float>(), 1.0f, 1e-6);
}

TEST(Mixup, MixupBlendsWithTheReversedBatch) {
  torch::manual_seed(0);
  auto images = torch::randn({3, 3, 4, 4});
  auto original = images.clone();
  MixParams p;
  p.kind = MixKind::kMixup;
  p.lam = 0.7;
  auto targets = apply_mix(images, torch::tensor({0, 1, 2}), p, 3, 0.0);
  EXPECT_TRUE(torch::allclose(images, original * 0.7 + original.flip({0}) * 0.3, 1e-6, 1e-6));
  // Sample 0 is paired with sample 2: target 0.7 on class 0 and 0.3 on class 2.
  EXPECT_NEAR(targets[0][0].item<float>(), 0.7f, 1e-6);
  EXPECT_NEAR(targets[0][2].item<float>(), 0.3f, 1e-6);
  EXPECT_NEAR(targets[1][1].item<float>(), 1.0f, 1e-6);  // the middle one pairs with itself
}

TEST(Mixup, CutMixBoxAndCorrectedLambdaAsTimm) {
  // lam 0.64 on 10x20: ratio 0.6, cut 6x12; center (1, 15) -> rows [0, 4), cols [9, 20):
  // the box is clipped, so lam = 1 - 4*11/200 = 0.78.
  MixParams p = cutmix_box(0.64, 10, 20, 1, 15);
  EXPECT_EQ(p.y0, 0);
  EXPECT_EQ(p.y1, 4);
  EXPECT_EQ(p.x0, 9);
  EXPECT_EQ(p.x1, 20);
  EXPECT_DOUBLE_EQ(p.lam, 1.0 - 44.0 / 200.0);

  auto images = torch::zeros({2, 1, 10, 20});
  images[1].fill_(1.0);
  auto targets = apply_mix(images, torch::tensor({0, 1}), p, 2, 0.0);
  EXPECT_EQ(images[0].sum().item<float>(), 44.0f);  // the box came from image 1
  EXPECT_EQ(images[1].sum().item<float>(), 200.0f - 44.0f);
  EXPECT_NEAR(targets[0][0].item<float>(), 0.78f, 1e-6);
}

TEST(Mixup, SamplingFollowsTheProbabilities) {
  MixConfig c;
  c.mixup_alpha = 0.2;
  c.cutmix_alpha = 1.0;
  c.mixup_prob = 0.8;
  c.mixup_switch_prob = 0.5;
  Rng rng(1);
  int none = 0, mixup = 0, cutmix = 0;
  for (int i = 0; i < 20000; ++i) {
    MixParams p = sample_mix_params(c, 224, 224, rng);
    none += p.kind == MixKind::kNone;
    mixup += p.kind == MixKind::kMixup;
    cutmix += p.kind == MixKind::kCutMix;
    ASSERT_GE(p.lam, 0.0);
    ASSERT_LE(p.lam, 1.0);
  }
  EXPECT_NEAR(none / 20000.0, 0.2, 0.015);
  EXPECT_NEAR(mixup / 20000.0, 0.4, 0.015);
  EXPECT_NEAR(cutmix / 20000.0, 0.4, 0.015);
  EXPECT_FALSE(mixing_enabled(MixConfig{}));
  Rng again(1);
  EXPECT_EQ(sample_mix_params(MixConfig{}, 8, 8, again).kind, MixKind::kNone);
}

TEST(Mixup, SoftTargetCrossEntropyEqualsCrossEntropyOnOneHot) {
  torch::manual_seed(0);
  auto logits = torch::randn({4, 5});
  auto labels = torch::tensor({0, 3, 4, 1});
  auto soft = soft_target_cross_entropy(logits, smooth_one_hot(labels, 5, 0.1));
  auto hard = torch::nn::functional::cross_entropy(
      logits, labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.1));
  EXPECT_NEAR(soft.item<float>(), hard.item<float>(), 1e-5);
}

}  // namespace
}  // namespace imagenet

namespace imagenet {
namespace {

// timm's Mixup._mix_elem / _mix_pair written out: image i takes from the unmixed image N-1-i.
at::Tensor timm_mix_per_image(const at::Tensor& x, const std::vector<MixParams>& params) {
  at::Tensor out = x.clone();
  const int64_t n = x.size(0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = n - 1 - i;
    const MixParams& p = params[i];
    if (p.kind == MixKind::kMixup) {
      out[i] = x[i] * p.lam + x[j] * (1 - p.lam);
    } else if (p.kind == MixKind::kCutMix) {
      using torch::indexing::Slice;
      out[i].index_put_({Slice(), Slice(p.y0, p.y1), Slice(p.x0, p.x1)},
                        x[j].index({Slice(), Slice(p.y0, p.y1), Slice(p.x0, p.x1)}));
    }
  }
  return out;
}

TEST(Mixup, PerImageModesMixAsTimmsLoops) {
  MixConfig c;
  c.mixup_alpha = 0.8;
  c.cutmix_alpha = 1.0;
  c.mixup_prob = 0.7;
  for (MixMode mode : {MixMode::kElem, MixMode::kPair, MixMode::kBatch}) {
    Rng rng(static_cast<uint64_t>(mode) + 5);
    torch::manual_seed(1);
    at::Tensor images = torch::randn({8, 3, 12, 10});
    const at::Tensor original = images.clone();
    const at::Tensor labels = torch::tensor({0, 1, 2, 3, 4, 0, 1, 2});
    const auto params = sample_mix_params(c, mode, 8, 12, 10, rng);
    ASSERT_EQ(params.size(), 8u);
    const at::Tensor targets = apply_mix(images, labels, params, 5, 0.1);
    EXPECT_TRUE(torch::allclose(images, timm_mix_per_image(original, params), 1e-6, 1e-6));
    // mixup_target with a per-image lambda.
    const at::Tensor y = smooth_one_hot(labels, 5, 0.1);
    for (int64_t i = 0; i < 8; ++i) {
      const double lam = params[i].kind == MixKind::kNone ? 1.0 : params[i].lam;
      EXPECT_TRUE(torch::allclose(targets[i], y[i] * lam + y[7 - i] * (1 - lam), 1e-6, 1e-6));
    }
    if (mode == MixMode::kPair) {
      for (int64_t i = 0; i < 4; ++i) {
        EXPECT_EQ(params[i].kind, params[7 - i].kind);
        EXPECT_EQ(params[i].lam, params[7 - i].lam);
        EXPECT_EQ(params[i].y0, params[7 - i].y0);
      }
    }
  }
}

TEST(Mixup, PerImageSamplingFollowsTheProbabilities) {
  MixConfig c;
  c.mixup_alpha = 0.2;
  c.cutmix_alpha = 1.0;
  c.mixup_prob = 0.6;
  c.mixup_switch_prob = 0.25;
  Rng rng(3);
  int none = 0, cutmix = 0, total = 0;
  for (int b = 0; b < 500; ++b) {
    for (const MixParams& p : sample_mix_params(c, MixMode::kElem, 64, 32, 32, rng)) {
      ++total;
      none += p.kind == MixKind::kNone;
      cutmix += p.kind == MixKind::kCutMix;
    }
  }
  EXPECT_NEAR(static_cast<double>(none) / total, 0.4, 0.01);
  EXPECT_NEAR(static_cast<double>(cutmix) / (total - none), 0.25, 0.01);
  MixConfig off;  // no alpha: nothing mixes in any mode
  for (MixMode mode : {MixMode::kElem, MixMode::kPair, MixMode::kBatch})
    for (const MixParams& p : sample_mix_params(off, mode, 6, 8, 8, rng))
      EXPECT_EQ(p.kind, MixKind::kNone);
}

}  // namespace
}  // namespace imagenet
