// Datasets packed into tar shards in WebDataset's layout (<key>.jpg + <key>.cls per sample),
// so that millions of small reads become a few large sequential ones. `imagenet_train pack`
// writes them, in the dataset's order, with an index per split (shards.tsv: the classes with
// their sample counts, the shards with theirs), and the loader reads them (data_format: shards)
// through a seeded shuffle buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "imagenet/data/image_folder.h"
#include "imagenet/data/sampler.h"

namespace imagenet {

/// Name of the index file in each packed split folder.
constexpr const char* kShardIndexName = "shards.tsv";

/// Reads <split_dir>/shards.tsv into a DatasetIndex: classes, one Sample per packed image (its
/// label; its path names the shard and member number, for messages) and the shards. Throws
/// UsageError naming the file when it is missing or malformed.
DatasetIndex read_shard_index(const std::string& split_dir);

/// read_shard_index from the index's text (an s3:// split reads it with a GET); the shard
/// paths are `split_dir`/<name>.
DatasetIndex parse_shard_index(const std::string& text, const std::string& split_dir);

/// Images this rank reads per epoch: the sampler's share of the dataset; for shards read in
/// order without padding (validation with sampler.pad false), the images of the rank's own
/// shards (every world-th), each once, so that the ranks together read every image once.
int64_t samples_per_rank(const DatasetIndex& index, const SamplerOptions& sampler);

/// Which shards a rank reads in an epoch and in what order the samples come out of the shuffle
/// buffer (a pure function of the arguments, like epoch_indices).
struct ShardEpochPlan {
  std::vector<int> shards;             ///< shard numbers in reading order (repeated if needed)
  std::vector<int64_t> stream_start;   ///< stream index of each entry's first sample
  std::vector<int64_t> order;          ///< position -> stream index
  std::vector<int64_t> dataset_index;  ///< stream index -> dataset index
};

/// Shuffling: shards in a (seed, epoch) permutation, rank r taking every world-th one, read
/// again from its first as often as needed for `needed` samples; the stream then goes through a
/// buffer of `buffer` samples from which a (seed, epoch, rank) generator draws. Without
/// shuffling: the shards in order, samples in order.
ShardEpochPlan plan_shard_epoch(const DatasetIndex& index, int64_t epoch,
                                const SamplerOptions& sampler, int buffer, int64_t needed);

struct PackOptions {
  std::string src;  ///< folder holding train/ and val/ (ImageFolder layout)
  std::string dst;
  uint64_t shard_bytes = 256ull << 20;
  int num_classes = 0;  ///< 0: every class; N: as training's num_classes picks them
  int64_t subset_seed = 42;
  int threads = 16;  ///< parallel reads of the source files
};

struct PackProgress {
  int64_t samples_done = 0;
  int64_t samples_total = 0;
};

struct PackReport {
  int classes = 0;
  int64_t samples = 0;
  int shards = 0;
  int shards_skipped = 0;  ///< already complete at dst (a resumed pack)
  uint64_t bytes = 0;
  double seconds = 0;
};

/// Packs src/{train,val} into dst/{train,val}/<split>-NNNNNN.tar + shards.tsv. A shard whose
/// file already has the expected size is kept (a resumed pack); every shard is written under a
/// temporary name and renamed; the index is written last. Throws UsageError / RuntimeError.
PackReport pack_dataset(const PackOptions& options,
                        const std::function<void(const PackProgress&)>& progress = nullptr);

}  // namespace imagenet
