// Which dataset indices a rank reads in an epoch, and in what order: a pure function of
// (dataset size, seed, epoch, rank, world size), so a run resumed mid-epoch reads the rest of
// the same order, and the order does not depend on the number of loader threads.
#pragma once

#include <cstdint>
#include <vector>

namespace imagenet {

struct SamplerOptions {
  bool shuffle = true;
  /// true: drop the tail so every rank gets floor(n / world) samples; false: pad with samples
  /// from the start of the order so every rank gets ceil(n / world), as PyTorch's
  /// DistributedSampler does.
  bool drop_last = false;
  uint64_t seed = 0;
  int rank = 0;
  int world_size = 1;
  /// With drop_last false: true pads as above; false neither pads nor drops, so every sample
  /// goes to exactly one rank and shares differ by at most one (exact validation metrics).
  bool pad = true;
  /// Repeated augmentation (data/repeat_sampler.h): each sample this many times per epoch,
  /// the copies dealt to consecutive ranks; 0: off (drop_last and pad then do not apply).
  int aug_repeats = 0;
};

/// The dataset indices of `rank` for `epoch`. Shuffling uses a permutation seeded by
/// (seed, epoch); rank r takes positions r, r + world, r + 2 world, ... of it (of the repeated
/// permutation with aug_repeats).
std::vector<int64_t> epoch_indices(int64_t dataset_size, int64_t epoch,
                                   const SamplerOptions& options);

/// How many indices epoch_indices gives `options.rank` (the same for every epoch).
int64_t samples_per_rank(int64_t dataset_size, const SamplerOptions& options);

/// Which copy of its sample (0 .. aug_repeats - 1) position `position` of `options.rank`'s
/// epoch_indices is; 0 without repeated augmentation. The loader seeds a sample's augmentation
/// by (seed, epoch, dataset index, copy), so the copies are augmented differently.
int sample_copy(int64_t dataset_size, int64_t position, const SamplerOptions& options);

}  // namespace imagenet
