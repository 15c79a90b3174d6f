// Tests data/auto_augment, data/torchvision_augment and data/timm_augment: the policy strings
// (and their errors), and the samplers' distributions against the reference formulas: which
// ops, how often each is applied, the magnitudes with timm's noise, the signs, the level
// arguments; the same seed gives the same draw.
#include "imagenet/data/auto_augment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

using K = AugmentOpKind;

std::string usage_error(const std::string& spec) {
  try {
    parse_augment_policy(spec, Interpolation::kBilinear);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(AugmentPolicy, ParsesTorchvisionNamesAndTimmStrings) {
  EXPECT_EQ(parse_augment_policy("none", Interpolation::kBilinear).family, AugmentFamily::kNone);
  AugmentPolicy ta = parse_augment_policy("ta_wide", Interpolation::kBilinear);
  EXPECT_EQ(ta.family, AugmentFamily::kTorchvision);
  EXPECT_EQ(ta.torchvision.policy, TorchvisionPolicy::kTrivialAugmentWide);
  EXPECT_EQ(ta.fill, (Rgb{0, 0, 0}));
  EXPECT_EQ(parse_augment_policy("ra", Interpolation::kBilinear).torchvision.policy,
            TorchvisionPolicy::kRandAugment);
  EXPECT_EQ(parse_augment_policy("imagenet", Interpolation::kBilinear).torchvision.policy,
            TorchvisionPolicy::kAutoAugmentImageNet);

  AugmentPolicy a1 = parse_augment_policy("rand-m7-mstd0.5-inc1", Interpolation::kBicubic);
  EXPECT_EQ(a1.family, AugmentFamily::kTimm);
  EXPECT_EQ(a1.timm.magnitude, 7);
  EXPECT_EQ(a1.timm.magnitude_std, 0.5);
  EXPECT_TRUE(a1.timm.increasing);
  EXPECT_EQ(a1.timm.num_layers, 2);
  EXPECT_EQ(a1.timm.prob, 0.5);
  EXPECT_EQ(a1.timm.magnitude_max, 10);
  EXPECT_EQ(a1.timm.interpolation, Interpolation::kBicubic);
  EXPECT_EQ(a1.fill, (Rgb{124, 116, 104}));

  TimmRandAugmentOptions o =
      parse_augment_policy("rand-n3-m12-mmax15-p0.7-mstd101", Interpolation::kBilinear).timm;
  EXPECT_EQ(o.num_layers, 3);
  EXPECT_EQ(o.magnitude, 12);
  EXPECT_EQ(o.magnitude_max, 15);
  EXPECT_DOUBLE_EQ(o.prob, 0.7);
  EXPECT_TRUE(std::isinf(o.magnitude_std));  // > 100: uniform magnitudes
  EXPECT_FALSE(parse_augment_policy("rand-m9-inc0", Interpolation::kBilinear).timm.increasing);
  EXPECT_EQ(parse_augment_policy("rand", Interpolation::kBilinear).timm.magnitude, 10);
}

TEST(AugmentPolicy, BadStringsNameTheSectionAndTheChoices) {
  EXPECT_NE(usage_error("trivial").find("unknown policy 'trivial'"), std::string::npos);
  EXPECT_NE(usage_error("trivial").find("ta_wide"), std::string::npos);
  EXPECT_NE(usage_error("rand-x9").find("unknown key 'x'"), std::string::npos);
  EXPECT_NE(usage_error("rand-m9.5").find("'m9.5' needs an integer"), std::string::npos);
  EXPECT_NE(usage_error("rand-mstd").find("no key and value"), std::string::npos);
  EXPECT_NE(usage_error("rand-inc2").find("needs 0 or 1"), std::string::npos);
  EXPECT_NE(usage_error("rand-p1.5").find("not in [0, 1]"), std::string::npos);
  EXPECT_NE(usage_error("rand-n0").find("at least 1"), std::string::npos);
  EXPECT_NE(usage_error("rand-m9-").find("auto_augment: 'rand-m9-'"), std::string::npos);
  EXPECT_NE(usage_error("rand-m9-mstd-1").find("no key and value"), std::string::npos);
}

TEST(TimmRandAugment, LevelArgumentsFollowTimmsFormulas) {
  Rng rng(3);
  auto both_signs = [&](K op, bool inc, double level) {
    std::set<double> seen;
    for (int i = 0; i < 200; ++i) seen.insert(timm_level_to_arg(op, inc, level, rng));
    return seen;
  };
  EXPECT_EQ(both_signs(K::kRotate, false, 9), (std::set<double>{-27.0, 27.0}));
  EXPECT_EQ(both_signs(K::kShearX, true, 5), (std::set<double>{-0.15, 0.15}));
  const auto translate = both_signs(K::kTranslateY, false, 9);
  ASSERT_EQ(translate.size(), 2u);
  EXPECT_NEAR(*translate.rbegin(), 0.405, 1e-12);
  // Non-increasing enhance: 1.8 m/10 + 0.1; increasing: 1 +- 0.9 m/10, at least 0.1.
  EXPECT_EQ(both_signs(K::kColor, false, 9), (std::set<double>{0.9 * 1.8 + 0.1}));
  const auto inc = both_signs(K::kContrast, true, 9);
  ASSERT_EQ(inc.size(), 2u);
  EXPECT_NEAR(*inc.begin(), 0.19, 1e-12);
  EXPECT_NEAR(*inc.rbegin(), 1.81, 1e-12);
  EXPECT_EQ(both_signs(K::kBrightness, true, 10), (std::set<double>{0.1, 1.9}));
  // Posterize: int(4 m/10) bits, 4 - that when increasing; solarize: int(256 m/10) capped at
  // 256, 256 - that when increasing; solarize_add: int(110 m/10) capped at 128.
  EXPECT_EQ(timm_level_to_arg(K::kPosterize, false, 9, rng), 3);
  EXPECT_EQ(timm_level_to_arg(K::kPosterize, true, 9, rng), 1);
  EXPECT_EQ(timm_level_to_arg(K::kSolarize, false, 9, rng), 230);
  EXPECT_EQ(timm_level_to_arg(K::kSolarize, true, 9, rng), 26);
  EXPECT_EQ(timm_level_to_arg(K::kSolarize, true, 10, rng), 0);
  EXPECT_EQ(timm_level_to_arg(K::kSolarizeAdd, false, 9, rng), 99);
  EXPECT_EQ(timm_level_to_arg(K::kSolarizeAdd, false, 15, rng), 128);
  EXPECT_EQ(timm_level_to_arg(K::kEqualize, false, 9, rng), 0);
}

TEST(TimmRandAugment, MagnitudeNoiseIsAClippedGaussianOrUniform) {
  TimmRandAugmentOptions options;
  options.magnitude = 9;
  options.magnitude_std = 0.5;
  Rng rng(5);
  const int n = 200000;
  int at_cap = 0;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double m = sample_timm_magnitude(options, rng);
    ASSERT_GE(m, 0.0);
    ASSERT_LE(m, 10.0);
    at_cap += m == 10.0;
    sum += m;
  }
  // P(N(9, 0.5) > 10) = P(z > 2) = 0.02275; the clipped mean E[min(X, 10)] is
  // 9 - (0.5 phi(2) - 1 (1 - Phi(2))) = 8.99576.
  EXPECT_NEAR(static_cast<double>(at_cap) / n, 0.02275, 0.0015);
  EXPECT_NEAR(sum / n, 8.99576, 0.004);

  options.magnitude_std = std::numeric_limits<double>::infinity();
  sum = 0;
  for (int i = 0; i < n; ++i) sum += sample_timm_magnitude(options, rng);
  EXPECT_NEAR(sum / n, 4.5, 0.03);  // uniform in [0, 9]

  options.magnitude_std = 0;
  options.magnitude = 12;  // above the default cap of 10...
  EXPECT_EQ(sample_timm_magnitude(options, rng), 10.0);
  options.magnitude_max = 15;  // ...unless mmax lifts it
  EXPECT_EQ(sample_timm_magnitude(options, rng), 12.0);
}

TEST(TimmRandAugment, OpsUniformEachAppliedHalfTheTime) {
  TimmRandAugmentOptions options;  // n 2, p 0.5
  options.magnitude = 9;
  options.magnitude_std = 0.5;
  options.increasing = true;
  Rng rng(7);
  const int images = 60000;
  std::map<K, int> count;
  int applied = 0;
  for (int i = 0; i < images; ++i) {
    const auto ops = sample_timm_rand_augment(options, 160, 128, rng);
    ASSERT_LE(ops.size(), 2u);
    applied += static_cast<int>(ops.size());
    for (const AugmentOp& op : ops) {
      ++count[op.kind];
      EXPECT_EQ(op.interpolation, Interpolation::kBicubic);
      const double limit = op.kind == K::kTranslateX   ? 0.45 * 160
                           : op.kind == K::kTranslateY ? 0.45 * 128
                           : op.kind == K::kRotate     ? 30.0
                           : op.kind == K::kPosterize  ? 4.0
                                                       : 1e9;
      EXPECT_LE(std::abs(op.value), limit + 1e-9) << to_string(op.kind);
    }
  }
  // 2 draws x p 0.5 per image; each of the 15 ops 1/15 of those.
  EXPECT_NEAR(static_cast<double>(applied) / images, 1.0, 0.01);
  EXPECT_EQ(count.size(), 15u);
  for (const auto& [kind, n] : count)
    EXPECT_NEAR(static_cast<double>(n) / applied, 1.0 / 15, 0.004) << to_string(kind);
}

TEST(TorchvisionAugment, TrivialAugmentWideDrawsOneOpOneBinOneSign) {
  TorchvisionAugmentOptions options;  // ta_wide, 31 bins
  Rng rng(11);
  const int images = 70000;
  std::map<K, int> count;
  std::map<double, int> rotate_angles;
  int negative_rotations = 0;
  for (int i = 0; i < images; ++i) {
    const auto ops = sample_torchvision_augment(options, 224, 224, rng);
    ASSERT_EQ(ops.size(), 1u);
    ++count[ops[0].kind];
    if (ops[0].kind == K::kRotate) {
      ++rotate_angles[std::abs(ops[0].value)];
      negative_rotations += ops[0].value < 0;
    }
  }
  EXPECT_EQ(count.size(), 14u);  // Identity and 13 ops; no Invert in TrivialAugmentWide
  EXPECT_EQ(count.count(K::kInvert), 0u);
  for (const auto& [kind, n] : count)
    EXPECT_NEAR(static_cast<double>(n) / images, 1.0 / 14, 0.004) << to_string(kind);
  // Rotate: every 4.5-degree bin of 0..135 equally often, half of them negative.
  EXPECT_EQ(rotate_angles.size(), 31u);
  EXPECT_EQ(rotate_angles.rbegin()->first, 135.0);
  EXPECT_NEAR(static_cast<double>(negative_rotations) / count[K::kRotate], 0.5 * 30 / 31, 0.03);
}

TEST(TorchvisionAugment, RandAugmentUsesTheFixedBin) {
  TorchvisionAugmentOptions options;
  options.policy = TorchvisionPolicy::kRandAugment;  // 2 ops at bin 9 of 31
  Rng rng(13);
  std::set<double> shears, posterize, translate;
  for (int i = 0; i < 20000; ++i) {
    const auto ops = sample_torchvision_augment(options, 224, 224, rng);
    ASSERT_EQ(ops.size(), 2u);
    for (const AugmentOp& op : ops) {
      EXPECT_NE(op.kind, K::kInvert);
      if (op.kind == K::kShearX) shears.insert(op.value);
      if (op.kind == K::kPosterize) posterize.insert(op.value);
      if (op.kind == K::kTranslateX) translate.insert(op.value);
    }
  }
  ASSERT_EQ(shears.size(), 2u);  // tan(atan(+-0.09)) (bin 9 of linspace(0, 0.3, 31))
  EXPECT_NEAR(*shears.rbegin(), 0.09, 1e-7);
  EXPECT_EQ(posterize, (std::set<double>{7}));  // 8 - round(9 / 7.5)
  // translate=[int(m), 0] with m = 9 * (150 / 331 * 224) / 30 = 30.45: the sample point moves
  // back by 30 pixels.
  EXPECT_EQ(translate, (std::set<double>{-30, 30}));
}

TEST(TorchvisionAugment, AutoAugmentAppliesSubPolicyOpsWithTheirProbabilities) {
  TorchvisionAugmentOptions options;
  options.policy = TorchvisionPolicy::kAutoAugmentImageNet;
  Rng rng(17);
  const int images = 100000;
  std::map<K, int> count;
  for (int i = 0; i < images; ++i) {
    const auto ops = sample_torchvision_augment(options, 224, 224, rng);
    ASSERT_LE(ops.size(), 2u);
    for (const AugmentOp& op : ops) ++count[op.kind];
  }
  // Expected applications per image, from the 25 ImageNet sub-policies: Equalize appears 17
  // times with probabilities summing to 11.2; ShearX once at 0.6; Sharpness once at 0.4.
  EXPECT_NEAR(count[K::kEqualize] / double(images), 11.2 / 25, 0.01);
  EXPECT_NEAR(count[K::kShearX] / double(images), 0.6 / 25, 0.003);
  EXPECT_NEAR(count[K::kSharpness] / double(images), 0.4 / 25, 0.003);
  EXPECT_EQ(count.count(K::kIdentity), 0u);
}

TEST(AugmentSampling, SameSeedSameDraw) {
  for (const char* spec : {"ta_wide", "ra", "imagenet", "rand-m9-mstd0.5-inc1"}) {
    const AugmentPolicy policy = parse_augment_policy(spec, Interpolation::kBilinear);
    bool differs = false;
    for (uint64_t s = 0; s < 50; ++s) {
      Rng a(derive_seed(1, s)), b(derive_seed(1, s)), c(derive_seed(2, s));
      const auto x = sample_augment_ops(policy, 224, 224, a);
      const auto y = sample_augment_ops(policy, 224, 224, b);
      const auto z = sample_augment_ops(policy, 224, 224, c);
      EXPECT_EQ(x, y) << spec;
      differs |= !(x == z);
    }
    EXPECT_TRUE(differs) << spec;
  }
}

TEST(AugmentOp, TorchvisionShearAndTranslateMatricesAreTheFactorAndTheShift) {
  // F.affine's inverse matrix for a pure shear is (1, tan(atan(m)), 0, 0, 1, 0).
  const auto m =
      torchvision_inverse_affine({0, 0}, 0.0, {0, 0}, 1.0, {std::atan(0.3) * 180.0 / M_PI, 0.0});
  EXPECT_EQ(m[0], 1.0);
  EXPECT_NEAR(m[1], 0.3, 1e-15);
  EXPECT_EQ(m[2], 0.0);
  EXPECT_EQ(m[3], 0.0);
  EXPECT_EQ(m[4], 1.0);
  EXPECT_EQ(m[5], 0.0);
  const AugmentOp t = torchvision_op(K::kTranslateY, -12.7, Interpolation::kNearest, 33, 31);
  EXPECT_EQ(t.value, 12.0);  // int(-12.7) = -12; the sample point is 12 rows down
  EXPECT_EQ(torchvision_op(K::kBrightness, -0.99, Interpolation::kNearest, 8, 8).value, 1.0 - 0.99);
  EXPECT_EQ(timm_op(K::kTranslateX, 0.25, Interpolation::kBicubic, 200, 100).value, 50.0);
  EXPECT_EQ(timm_op(K::kPosterize, 8, Interpolation::kBicubic, 8, 8).kind, K::kIdentity);
}

}  // namespace
}  // namespace imagenet
