// Implements data/sampler.h with the semantics of torch.utils.data.DistributedSampler.
#include "imagenet/data/sampler.h"

#include <numeric>

#include "imagenet/data/repeat_sampler.h"
#include "imagenet/util/error.h"
#include "imagenet/util/rng.h"

namespace imagenet {

std::vector<int64_t> epoch_indices(int64_t dataset_size, int64_t epoch,
                                   const SamplerOptions& options) {
  IMAGENET_CHECK(options.world_size >= 1 && options.rank >= 0 && options.rank < options.world_size,
                 "rank ", options.rank, " outside world of ", options.world_size);
  if (options.aug_repeats > 0)
    return repeat_aug_epoch_indices(dataset_size, epoch, options,
                                    RepeatAugOptions{options.aug_repeats});
  std::vector<int64_t> order(dataset_size);
  std::iota(order.begin(), order.end(), 0);
  if (options.shuffle) {
    Rng rng(derive_seed(options.seed, 0x5a3b1e, static_cast<uint64_t>(epoch)));
    rng.shuffle(order);
  }
  const int64_t world = options.world_size;
  if (!options.drop_last && !options.pad) {
    // Every position exactly once: the first (n mod world) ranks get one more.
    std::vector<int64_t> mine;
    mine.reserve(samples_per_rank(dataset_size, options));
    for (int64_t i = options.rank; i < dataset_size; i += world) mine.push_back(order[i]);
    return mine;
  }
  int64_t per_rank = options.drop_last ? dataset_size / world : (dataset_size + world - 1) / world;
  int64_t total = per_rank * world;
  if (total > dataset_size && dataset_size > 0) {
    // Pad by repeating the start of the order (as often as needed for tiny datasets).
    for (int64_t i = dataset_size; i < total; ++i) order.push_back(order[i % dataset_size]);
  }
  order.resize(total);
  std::vector<int64_t> mine;
  mine.reserve(per_rank);
  for (int64_t i = options.rank; i < total; i += world) mine.push_back(order[i]);
  return mine;
}

int64_t samples_per_rank(int64_t dataset_size, const SamplerOptions& options) {
  if (options.aug_repeats > 0)
    return repeat_aug_samples_per_rank(dataset_size, options,
                                       RepeatAugOptions{options.aug_repeats});
  const int64_t world = options.world_size;
  if (options.drop_last) return dataset_size / world;
  if (options.pad) return (dataset_size + world - 1) / world;
  return dataset_size > options.rank ? (dataset_size - options.rank + world - 1) / world : 0;
}

int sample_copy(int64_t dataset_size, int64_t position, const SamplerOptions& options) {
  if (options.aug_repeats <= 0) return 0;
  return repeat_aug_copy(dataset_size, position, options, RepeatAugOptions{options.aug_repeats});
}

}  // namespace imagenet
