// The sample source of a packed dataset (data/shards.h): the epoch's tar shards streamed by a few
// I/O threads (from files, or from S3 objects), each sample delivered at the position the seeded
// shuffle buffer gives it. Reads run at most shuffle_buffer samples past the loader's ring.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/data/sample_source.h"
#include "imagenet/data/sampler.h"
#include "imagenet/s3/s3_client.h"

namespace imagenet {

/// Streams a ShardSource reads at most (io_threads beyond it are not used): a few sequential
/// streams saturate a disk or a mount's bandwidth.
constexpr int kMaxShardStreams = 8;

class ShardSource final : public SampleSource {
 public:
  /// Starts clamp(io_threads, 1, kMaxShardStreams) streams (a few sequential streams suffice); they
  /// wait for start_epoch. `shuffle_buffer` samples are held to shuffle (training only). Throws
  /// UsageError when this rank would have no shard of its own to read (validation without
  /// padding on more ranks than shards). Shards in S3 (s3:// paths) are streamed through `s3`
  /// with ranged GETs, several chunks ahead (S3ObjectStream).
  ShardSource(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler, ReadPolicy policy,
              int io_threads, int shuffle_buffer, SampleSink& sink,
              std::unique_ptr<S3Client> s3 = nullptr);
  ~ShardSource() override;
  ShardSource(const ShardSource&) = delete;
  ShardSource& operator=(const ShardSource&) = delete;

  /// plan_shard_epoch: the samples in the order the shuffle buffer emits them. Positions
  /// before first_position (a resumed epoch) are read, since a shard is read from its start,
  /// and dropped.
  std::vector<int64_t> start_epoch(const EpochReads& reads) override;
  /// Shards are only streamed: every stand-in is a position (see stand_in).
  void read(int64_t dataset_index, SampleBytes* sample) override;
  /// Another sample of the same batch (only the ring's samples are in memory), drawn from
  /// (seed, dataset_index, attempt).
  StandIn stand_in(int64_t position, int64_t dataset_index, int attempt, int64_t batch_first,
                   int batch_size) const override;

 private:
  /// What the reading threads need of one epoch; not changed once published.
  struct Epoch {
    int64_t generation = 0;
    std::vector<int> shards;                  ///< plan_shard_epoch's reading order
    std::vector<int64_t> stream_start;        ///< stream index of each entry's first sample
    std::vector<int64_t> position_of_stream;  ///< -1: not loaded this epoch
    int64_t last_needed = -1;                 ///< the last stream index loaded
  };

  void stream_main();
  bool has_entry_locked() const;
  void read_shard(const Epoch& epoch, size_t entry);
  bool deliver(const Epoch& epoch, int64_t stream_index, SampleBytes sample);

  std::shared_ptr<const DatasetIndex> index_;
  SamplerOptions sampler_;
  ReadPolicy policy_;
  int buffer_ = 0;  // shuffle buffer in samples (0: in order)
  SampleSink& sink_;
  std::mutex mutex_;
  std::condition_variable entry_cv_;  // streams wait for a shard to read
  bool stopping_ = false;
  std::shared_ptr<const Epoch> epoch_;  // the epoch being read; null: none yet
  size_t next_entry_ = 0;               // of epoch_->shards
  std::vector<std::thread> threads_;
  std::unique_ptr<S3Client> s3_;  // s3:// shards; destroyed after the threads are joined
};

}  // namespace imagenet
