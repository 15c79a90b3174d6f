// Repeated augmentation (timm's RepeatAugSampler, torchvision's RASampler, both from DeiT):
// every sample of the epoch's permutation is repeated `repeats` times in a row and the list is
// dealt out to the ranks round-robin, so the copies of a sample land on different ranks (each
// with its own augmentation); each rank then keeps only its first floor(n // 256 * 256 /
// world) indices, so an epoch stays as long as without repeats (about n / repeats distinct
// samples, each seen `repeats` times). A pure function of (dataset size, seed, epoch, rank,
// world), as data/sampler.h.
#pragma once

#include <cstdint>
#include <vector>

#include "imagenet/data/sampler.h"

namespace imagenet {

struct RepeatAugOptions {
  int repeats = 3;  ///< aug_repeats
  /// The kept share per rank is rounded down to a multiple of this many samples of the
  /// dataset first (timm's selected_round). Datasets smaller than it keep ceil(n / world)
  /// (timm would keep none).
  int64_t selected_round = 256;
};

/// The dataset indices of `sampler.rank` for `epoch`, shuffled with the permutation
/// epoch_indices uses (sampler.drop_last and sampler.pad do not apply).
std::vector<int64_t> repeat_aug_epoch_indices(int64_t dataset_size, int64_t epoch,
                                              const SamplerOptions& sampler,
                                              const RepeatAugOptions& repeat);

/// How many indices repeat_aug_epoch_indices gives each rank (the same for every rank and
/// epoch).
int64_t repeat_aug_samples_per_rank(int64_t dataset_size, const SamplerOptions& sampler,
                                    const RepeatAugOptions& repeat);

/// Which copy (0 .. repeats - 1) of its sample index `position` of repeat_aug_epoch_indices
/// is: that of position rank + position x world of the repeated list.
int repeat_aug_copy(int64_t dataset_size, int64_t position, const SamplerOptions& sampler,
                    const RepeatAugOptions& repeat);

}  // namespace imagenet
