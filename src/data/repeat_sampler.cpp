// Implements data/repeat_sampler.h after timm/data/distributed_sampler.py (RepeatAugSampler).
#include "imagenet/data/repeat_sampler.h"

#include <numeric>

#include "imagenet/util/error.h"
#include "imagenet/util/rng.h"

namespace imagenet {

int64_t repeat_aug_samples_per_rank(int64_t dataset_size, const SamplerOptions& sampler,
                                    const RepeatAugOptions& repeat) {
  const int64_t world = sampler.world_size;
  if (repeat.selected_round > 0 && dataset_size >= repeat.selected_round)
    return dataset_size / repeat.selected_round * repeat.selected_round / world;
  return (dataset_size + world - 1) / world;
}

std::vector<int64_t> repeat_aug_epoch_indices(int64_t dataset_size, int64_t epoch,
                                              const SamplerOptions& sampler,
                                              const RepeatAugOptions& repeat) {
  IMAGENET_CHECK(sampler.world_size >= 1 && sampler.rank >= 0 && sampler.rank < sampler.world_size,
                 "rank ", sampler.rank, " outside world of ", sampler.world_size);
  IMAGENET_CHECK(repeat.repeats >= 1, "aug_repeats must be at least 1, not ", repeat.repeats);
  std::vector<int64_t> order(dataset_size);
  std::iota(order.begin(), order.end(), 0);
  if (sampler.shuffle) {
    Rng rng(derive_seed(sampler.seed, 0x5a3b1e, static_cast<uint64_t>(epoch)));  // as sampler.cpp
    rng.shuffle(order);
  }
  // repeat_interleave: [a, a, a, b, b, b, ...], padded from its start to a multiple of world.
  const int64_t world = sampler.world_size;
  const int64_t repeated = dataset_size * repeat.repeats;
  const int64_t per_rank = (repeated + world - 1) / world;
  const int64_t keep =
      std::min(per_rank, repeat_aug_samples_per_rank(dataset_size, sampler, repeat));
  std::vector<int64_t> mine;
  mine.reserve(keep);
  for (int64_t i = 0; i < keep && repeated > 0; ++i) {
    const int64_t position = (sampler.rank + i * world) % repeated;
    mine.push_back(order[position / repeat.repeats]);
  }
  return mine;
}

int repeat_aug_copy(int64_t dataset_size, int64_t position, const SamplerOptions& sampler,
                    const RepeatAugOptions& repeat) {
  const int64_t repeated = dataset_size * repeat.repeats;
  if (repeated == 0) return 0;
  return static_cast<int>((sampler.rank + position * sampler.world_size) % repeated %
                          repeat.repeats);
}

}  // namespace imagenet
