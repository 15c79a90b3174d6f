// timm's RandAugment (timm/data/auto_augment.py, rand_augment_transform): the configuration
// string ("rand-m9-mstd0.5-inc1"), and a sampler that draws one image's ops with timm's op
// sets, per-op probability, magnitude noise and level-to-argument rules from an injected Rng.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "imagenet/data/augment_op.h"
#include "imagenet/util/rng.h"

namespace imagenet {

/// The sections of a "rand-..." string, timm's defaults in brackets.
struct TimmRandAugmentOptions {
  double magnitude = 10;  ///< m [10]: 0..10 spans each op's range
  int num_layers = 2;     ///< n [2]: ops drawn per image, with replacement
  double prob = 0.5;      ///< p [0.5]: chance each drawn op is applied
  /// mstd [0]: std-dev of the Gaussian noise on the magnitude; infinity (mstd > 100) draws it
  /// uniformly from [0, m].
  double magnitude_std = 0;
  double magnitude_max = 10;  ///< mmax [10]: the noisy magnitude is clipped to [0, mmax]
  bool increasing = false;    ///< inc [0]: the "...Increasing" op set (severity grows with m)
  Interpolation interpolation = Interpolation::kBicubic;
};

/// Parses timm's RandAugment string: "rand" then dash-separated sections m<int>, n<int>,
/// p<float>, mstd<float>, mmax<int>, inc<0|1>. Throws UsageError naming the section and
/// listing the known ones. `what` names the setting in messages ("auto_augment").
TimmRandAugmentOptions parse_timm_rand_augment(const std::string& spec, const std::string& what);

/// _RAND_TRANSFORMS (15 ops, timm's order); _RAND_INCREASING_TRANSFORMS lists the same kinds
/// with the "...Increasing" level functions (timm_level_to_arg's `increasing`).
const std::vector<AugmentOpKind>& timm_rand_ops();

/// The magnitude one application of an op uses: m, plus Gaussian noise of std-dev mstd (or
/// uniform in [0, m] when mstd is infinite), clipped to [0, mmax].
double sample_timm_magnitude(const TimmRandAugmentOptions& options, Rng& rng);

/// timm's LEVEL_TO_ARG for an op of the set: the argument of the op at `magnitude` (0..10
/// spans the range); shear, translate, rotate and the increasing enhance ops are negated with
/// probability 1/2, which is why it takes the Rng.
double timm_level_to_arg(AugmentOpKind op, bool increasing, double magnitude, Rng& rng);

/// One image's ops: n draws from the set, each applied with probability p at a fresh noisy
/// magnitude. Ops that are not applied are left out.
std::vector<AugmentOp> sample_timm_rand_augment(const TimmRandAugmentOptions& options, int width,
                                                int height, Rng& rng);

}  // namespace imagenet
