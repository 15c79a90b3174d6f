// Implements data/auto_augment.h: the names of torchvision's references/classification
// presets (--auto-augment ra | ta_wide | imagenet) and timm's create_transform (rand-...,
// hparams img_mean from IMAGENET_DEFAULT_MEAN, interpolation from train_interpolation).
#include "imagenet/data/auto_augment.h"

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {

AugmentPolicy parse_augment_policy(const std::string& spec, Interpolation interpolation,
                                   const std::string& what) {
  AugmentPolicy policy;
  if (spec == "none" || spec.empty()) return policy;
  if (spec == "ta_wide" || spec == "ra" || spec == "imagenet") {
    policy.family = AugmentFamily::kTorchvision;
    policy.torchvision.policy = spec == "ta_wide" ? TorchvisionPolicy::kTrivialAugmentWide
                                : spec == "ra"    ? TorchvisionPolicy::kRandAugment
                                                  : TorchvisionPolicy::kAutoAugmentImageNet;
    policy.torchvision.interpolation = interpolation;
    return policy;
  }
  if (spec.rfind("rand", 0) == 0) {
    policy.family = AugmentFamily::kTimm;
    policy.timm = parse_timm_rand_augment(spec, what);
    policy.timm.interpolation = interpolation;
    policy.fill = {124, 116, 104};
    return policy;
  }
  throw UsageError(str_cat(what, ": unknown policy '", spec,
                           "'; choose none, ta_wide (TrivialAugmentWide), ra (RandAugment), "
                           "imagenet (AutoAugment's ImageNet policy) or a timm RandAugment "
                           "string such as rand-m9-mstd0.5-inc1"));
}

std::vector<AugmentOp> sample_augment_ops(const AugmentPolicy& policy, int width, int height,
                                          Rng& rng) {
  switch (policy.family) {
    case AugmentFamily::kNone:
      return {};
    case AugmentFamily::kTorchvision:
      return sample_torchvision_augment(policy.torchvision, width, height, rng);
    case AugmentFamily::kTimm:
      return sample_timm_rand_augment(policy.timm, width, height, rng);
  }
  return {};
}

void apply_augment_ops(uint8_t* pixels, int width, int height, const std::vector<AugmentOp>& ops,
                       const Rgb& fill, std::vector<uint8_t>& scratch) {
  for (const AugmentOp& op : ops) apply_augment_op(pixels, width, height, op, fill, scratch);
}

}  // namespace imagenet
