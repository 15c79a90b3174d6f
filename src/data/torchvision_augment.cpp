// Implements data/torchvision_augment.h after torchvision/transforms/autoaugment.py (0.14):
// AutoAugment._get_policies(IMAGENET), the three _augmentation_space tables, get_params and
// the forward passes.
#include "imagenet/data/torchvision_augment.h"

#include <cmath>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

using K = AugmentOpKind;

// torch.linspace(start, end, steps)[i] in float32 (RangeFactoriesKernel.cpp, scalar path).
double linspace_f32(double start_d, double end_d, int steps, int i) {
  const float start = static_cast<float>(start_d), end = static_cast<float>(end_d);
  if (steps == 1) return start;
  const float step = (end - start) / static_cast<float>(steps - 1);
  const float v = i < steps / 2 ? start + step * static_cast<float>(i)
                                : end - step * static_cast<float>(steps - i - 1);
  return v;
}

// 8 - (arange(bins) / ((bins - 1) / levels)).round().int(): float32 division, half to even.
double posterize_bits(int bin, int num_bins, double levels) {
  const float divisor = static_cast<float>((num_bins - 1) / levels);
  return 8.0 - std::nearbyint(static_cast<float>(bin) / divisor);
}

struct PolicyOp {
  K op;
  double probability;
  int magnitude_bin;  // -1: the op takes no magnitude
};

// AutoAugment._get_policies(AutoAugmentPolicy.IMAGENET).
const std::vector<std::array<PolicyOp, 2>>& imagenet_policy() {
  static const std::vector<std::array<PolicyOp, 2>> policy = {
      {{{K::kPosterize, 0.4, 8}, {K::kRotate, 0.6, 9}}},
      {{{K::kSolarize, 0.6, 5}, {K::kAutoContrast, 0.6, -1}}},
      {{{K::kEqualize, 0.8, -1}, {K::kEqualize, 0.6, -1}}},
      {{{K::kPosterize, 0.6, 7}, {K::kPosterize, 0.6, 6}}},
      {{{K::kEqualize, 0.4, -1}, {K::kSolarize, 0.2, 4}}},
      {{{K::kEqualize, 0.4, -1}, {K::kRotate, 0.8, 8}}},
      {{{K::kSolarize, 0.6, 3}, {K::kEqualize, 0.6, -1}}},
      {{{K::kPosterize, 0.8, 5}, {K::kEqualize, 1.0, -1}}},
      {{{K::kRotate, 0.2, 3}, {K::kSolarize, 0.6, 8}}},
      {{{K::kEqualize, 0.6, -1}, {K::kPosterize, 0.4, 6}}},
      {{{K::kRotate, 0.8, 8}, {K::kColor, 0.4, 0}}},
      {{{K::kRotate, 0.4, 9}, {K::kEqualize, 0.6, -1}}},
      {{{K::kEqualize, 0.0, -1}, {K::kEqualize, 0.8, -1}}},
      {{{K::kInvert, 0.6, -1}, {K::kEqualize, 1.0, -1}}},
      {{{K::kColor, 0.6, 4}, {K::kContrast, 1.0, 8}}},
      {{{K::kRotate, 0.8, 8}, {K::kColor, 1.0, 2}}},
      {{{K::kColor, 0.8, 8}, {K::kSolarize, 0.8, 7}}},
      {{{K::kSharpness, 0.4, 7}, {K::kInvert, 0.6, -1}}},
      {{{K::kShearX, 0.6, 5}, {K::kEqualize, 1.0, -1}}},
      {{{K::kColor, 0.4, 0}, {K::kEqualize, 0.6, -1}}},
      {{{K::kEqualize, 0.4, -1}, {K::kSolarize, 0.2, 4}}},
      {{{K::kSolarize, 0.6, 5}, {K::kAutoContrast, 0.6, -1}}},
      {{{K::kInvert, 0.6, -1}, {K::kEqualize, 1.0, -1}}},
      {{{K::kColor, 0.6, 4}, {K::kContrast, 1.0, 8}}},
      {{{K::kEqualize, 0.8, -1}, {K::kEqualize, 0.6, -1}}},
  };
  return policy;
}

}  // namespace

const std::vector<AugmentOpKind>& torchvision_ops(TorchvisionPolicy policy) {
  // AutoAugment's space has Invert and no Identity; RandAugment's and TrivialAugmentWide's
  // have Identity and no Invert.
  static const std::vector<AugmentOpKind> auto_augment = {
      K::kShearX,     K::kShearY,       K::kTranslateX, K::kTranslateY, K::kRotate,
      K::kBrightness, K::kColor,        K::kContrast,   K::kSharpness,  K::kPosterize,
      K::kSolarize,   K::kAutoContrast, K::kEqualize,   K::kInvert};
  static const std::vector<AugmentOpKind> rand = {
      K::kIdentity,  K::kShearX,     K::kShearY,       K::kTranslateX, K::kTranslateY,
      K::kRotate,    K::kBrightness, K::kColor,        K::kContrast,   K::kSharpness,
      K::kPosterize, K::kSolarize,   K::kAutoContrast, K::kEqualize};
  return policy == TorchvisionPolicy::kAutoAugmentImageNet ? auto_augment : rand;
}

bool torchvision_op_is_signed(AugmentOpKind op) {
  switch (op) {
    case K::kShearX:
    case K::kShearY:
    case K::kTranslateX:
    case K::kTranslateY:
    case K::kRotate:
    case K::kBrightness:
    case K::kColor:
    case K::kContrast:
    case K::kSharpness:
      return true;
    default:
      return false;
  }
}

double torchvision_magnitude(TorchvisionPolicy policy, AugmentOpKind op, int bin, int num_bins,
                             int width, int height) {
  IMAGENET_CHECK(bin >= 0 && bin < num_bins, "magnitude bin ", bin, " outside ", num_bins);
  const bool wide = policy == TorchvisionPolicy::kTrivialAugmentWide;
  switch (op) {
    case K::kShearX:
    case K::kShearY:
      return linspace_f32(0.0, wide ? 0.99 : 0.3, num_bins, bin);
    case K::kTranslateX:
      return linspace_f32(0.0, wide ? 32.0 : 150.0 / 331.0 * width, num_bins, bin);
    case K::kTranslateY:
      return linspace_f32(0.0, wide ? 32.0 : 150.0 / 331.0 * height, num_bins, bin);
    case K::kRotate:
      return linspace_f32(0.0, wide ? 135.0 : 30.0, num_bins, bin);
    case K::kBrightness:
    case K::kColor:
    case K::kContrast:
    case K::kSharpness:
      return linspace_f32(0.0, wide ? 0.99 : 0.9, num_bins, bin);
    case K::kPosterize:
      return posterize_bits(bin, num_bins, wide ? 6.0 : 4.0);
    case K::kSolarize:
      return linspace_f32(255.0, 0.0, num_bins, bin);
    default:
      return 0.0;
  }
}

std::vector<AugmentOp> sample_torchvision_augment(const TorchvisionAugmentOptions& options,
                                                  int width, int height, Rng& rng) {
  std::vector<AugmentOp> ops;
  const TorchvisionPolicy policy = options.policy;
  auto make = [&](AugmentOpKind op, int bin, int num_bins, bool negate) {
    double magnitude =
        bin >= 0 ? torchvision_magnitude(policy, op, bin, num_bins, width, height) : 0.0;
    if (negate && torchvision_op_is_signed(op)) magnitude = -magnitude;
    ops.push_back(torchvision_op(op, magnitude, options.interpolation, width, height));
  };
  switch (policy) {
    case TorchvisionPolicy::kAutoAugmentImageNet: {
      // get_params: a sub-policy, two probabilities, two signs (0 negates).
      const auto& sub = imagenet_policy()[rng.uniform_int(0, 25)];
      for (const PolicyOp& step : sub) {
        const double p = rng.uniform();
        const bool negate = rng.uniform_int(0, 2) == 0;
        if (p <= step.probability) make(step.op, step.magnitude_bin, 10, negate);
      }
      break;
    }
    case TorchvisionPolicy::kRandAugment: {
      const auto& space = torchvision_ops(policy);
      for (int i = 0; i < options.num_ops; ++i) {
        const AugmentOpKind op = space[rng.uniform_int(0, static_cast<int64_t>(space.size()))];
        const bool has_bins =
            torchvision_op_is_signed(op) || op == K::kPosterize || op == K::kSolarize;
        const bool negate = torchvision_op_is_signed(op) && rng.uniform_int(0, 2) == 1;
        make(op, has_bins ? options.magnitude : -1, options.num_magnitude_bins, negate);
      }
      break;
    }
    case TorchvisionPolicy::kTrivialAugmentWide: {
      const auto& space = torchvision_ops(policy);
      const AugmentOpKind op = space[rng.uniform_int(0, static_cast<int64_t>(space.size()))];
      const bool has_bins =
          torchvision_op_is_signed(op) || op == K::kPosterize || op == K::kSolarize;
      const int bin =
          has_bins ? static_cast<int>(rng.uniform_int(0, options.num_magnitude_bins)) : -1;
      const bool negate = torchvision_op_is_signed(op) && rng.uniform_int(0, 2) == 1;
      make(op, bin, options.num_magnitude_bins, negate);
      break;
    }
  }
  return ops;
}

}  // namespace imagenet
