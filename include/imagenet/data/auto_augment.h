// The `auto_augment` setting: one string naming torchvision's policies ("ta_wide", "ra",
// "imagenet") or timm's RandAugment ("rand-m9-mstd0.5-inc1"), or "none"; parsed once, then
// sampled per image from the sample's Rng and applied to the uint8 crop on the loader threads.
#pragma once

#include <string>
#include <vector>

#include "imagenet/data/augment_op.h"
#include "imagenet/data/timm_augment.h"
#include "imagenet/data/torchvision_augment.h"
#include "imagenet/util/rng.h"

namespace imagenet {

enum class AugmentFamily { kNone, kTorchvision, kTimm };

struct AugmentPolicy {
  AugmentFamily family = AugmentFamily::kNone;
  TorchvisionAugmentOptions torchvision;
  TimmRandAugmentOptions timm;
  /// What geometric ops leave uncovered: torchvision's default fill is black; timm fills with
  /// the dataset mean, round(255 * (0.485, 0.456, 0.406)).
  Rgb fill{0, 0, 0};
};

/// "none", "ta_wide" (TrivialAugmentWide), "ra" (RandAugment, 2 ops at magnitude 9 of 31),
/// "imagenet" (AutoAugment's ImageNet policy) or a timm "rand-..." string. Geometric ops
/// interpolate with `interpolation` (train_interpolation, as both libraries' training
/// transforms pass theirs on). Throws UsageError naming `what` (the key) with the choices.
AugmentPolicy parse_augment_policy(const std::string& spec, Interpolation interpolation,
                                   const std::string& what = "auto_augment");

/// One image's ops (none for AugmentFamily::kNone).
std::vector<AugmentOp> sample_augment_ops(const AugmentPolicy& policy, int width, int height,
                                          Rng& rng);

/// Applies `ops` in order to a [height, width, 3] uint8 image, in place.
void apply_augment_ops(uint8_t* pixels, int width, int height, const std::vector<AugmentOp>& ops,
                       const Rgb& fill, std::vector<uint8_t>& scratch);

}  // namespace imagenet
