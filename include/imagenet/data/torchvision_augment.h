// torchvision 0.14's automatic augmentations (torchvision/transforms/autoaugment.py):
// AutoAugment with the ImageNet policy, RandAugment and TrivialAugmentWide, as samplers that
// draw the ops and magnitudes of one image from an injected Rng with torchvision's
// distributions and magnitude bins, and return them for apply_augment_op.
#pragma once

#include <vector>

#include "imagenet/data/augment_op.h"
#include "imagenet/util/rng.h"

namespace imagenet {

enum class TorchvisionPolicy { kAutoAugmentImageNet, kRandAugment, kTrivialAugmentWide };

struct TorchvisionAugmentOptions {
  TorchvisionPolicy policy = TorchvisionPolicy::kTrivialAugmentWide;
  /// RandAugment: ops per image, the magnitude bin used, and the number of bins.
  int num_ops = 2;
  int magnitude = 9;
  int num_magnitude_bins = 31;
  /// torchvision's references pass --interpolation (bilinear) to the policies.
  Interpolation interpolation = Interpolation::kBilinear;
};

/// The ops of a policy's _augmentation_space, in torchvision's order (a draw picks an index).
const std::vector<AugmentOpKind>& torchvision_ops(TorchvisionPolicy policy);

/// True when the op's magnitude gets a random sign.
bool torchvision_op_is_signed(AugmentOpKind op);

/// Bin `bin` of the op's magnitudes in _augmentation_space(num_bins, (height, width)), as
/// torch.linspace computes them in float32 (its scalar formula; vectorized CPU kernels may
/// differ in the last bit); 0 for ops without magnitudes.
double torchvision_magnitude(TorchvisionPolicy policy, AugmentOpKind op, int bin, int num_bins,
                             int width, int height);

/// One image's ops: AutoAugment picks one of the 25 ImageNet sub-policies and applies each of
/// its two ops with its probability; RandAugment draws num_ops ops uniformly (with
/// replacement) at the fixed bin `magnitude`; TrivialAugmentWide draws one op and one of the
/// bins. Signed magnitudes are negated with probability 1/2.
std::vector<AugmentOp> sample_torchvision_augment(const TorchvisionAugmentOptions& options,
                                                  int width, int height, Rng& rng);

}  // namespace imagenet
