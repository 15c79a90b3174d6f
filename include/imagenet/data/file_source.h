// The sample source of an ImageFolder dataset: its image files in the sampler's epoch order,
// read by I/O threads (many reads in flight, to hide the latency of network file systems), or
// by the loader's workers themselves when there are none; every read retried with backoff.
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

namespace imagenet {

class FileSource final : public SampleSource {
 public:
  /// Starts `io_threads` reading threads (none: reads_in_workers). They wait for start_epoch.
  FileSource(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler, ReadPolicy policy,
             int io_threads, SampleSink& sink);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  /// epoch_indices of the epoch; the I/O threads claim its positions in order.
  std::vector<int64_t> start_epoch(const EpochReads& reads) override;
  bool reads_in_workers() const override { return threads_.empty(); }
  /// read_file_with_retries; a DecodeError (missing, unreadable) becomes sample->error.
  void read(int64_t dataset_index, SampleBytes* sample) override;
  /// Another dataset index, drawn from (seed, dataset_index, attempt).
  StandIn stand_in(int64_t position, int64_t dataset_index, int attempt, int64_t batch_first,
                   int batch_size) const override;

 private:
  void io_main();

  std::shared_ptr<const DatasetIndex> index_;
  SamplerOptions sampler_;
  ReadPolicy policy_;
  SampleSink& sink_;
  std::mutex mutex_;
  std::condition_variable started_cv_;  // I/O threads wait for an epoch to read
  bool stopping_ = false;
  int64_t generation_ = 0;  // of the epoch being read; 0: none yet
  std::vector<std::thread> threads_;
};

}  // namespace imagenet
