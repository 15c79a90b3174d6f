// The sample source of an ImageFolder dataset in S3 (data_root: s3://bucket/prefix): one GET
// per image, many in flight on one thread through the S3 client's libcurl multi interface,
// claimed in the epoch's order from the loader's ring, so that the order, and so the batches,
// are those of the same dataset on a local disk. Each GET is retried by the client (503
// SlowDown, resets, timeouts); its retries are counted in the epoch stats.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "imagenet/data/image_folder.h"
#include "imagenet/data/sample_source.h"
#include "imagenet/data/sampler.h"
#include "imagenet/s3/s3_client.h"

namespace imagenet {

class S3Source final : public SampleSource {
 public:
  /// Reads the samples of `index` (paths s3://bucket/key) through `client`, at most
  /// `requests` GETs at once. A feeding thread waits for start_epoch.
  S3Source(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler,
           std::unique_ptr<S3Client> client, int requests, SampleSink& sink);
  /// Stops the feeding thread, then the client (in-flight GETs are dropped).
  ~S3Source() override;
  S3Source(const S3Source&) = delete;
  S3Source& operator=(const S3Source&) = delete;

  /// epoch_indices of the epoch, as FileSource: the same order as from a local copy.
  std::vector<int64_t> start_epoch(const EpochReads& reads) override;
  /// One GET, waited for (stand-ins). A failed GET (missing object, retries used up) sets
  /// sample->error naming the object.
  void read(int64_t dataset_index, SampleBytes* sample) override;
  /// As FileSource::stand_in: another dataset index, drawn from (seed, dataset_index, attempt).
  StandIn stand_in(int64_t position, int64_t dataset_index, int attempt, int64_t batch_first,
                   int batch_size) const override;
  /// Wakes the feeding thread: more positions may be claimed.
  void window_moved() override;

 private:
  void feed_main();
  S3Request request_for(int64_t dataset_index) const;
  /// The response as a sample: the bytes, or the error; the attempts beyond the first.
  void to_sample(S3Response&& response, SampleBytes* sample) const;

  std::shared_ptr<const DatasetIndex> index_;
  SamplerOptions sampler_;
  std::unique_ptr<S3Client> client_;
  std::string bucket_;
  size_t key_offset_ = 0;  // of the key in a sample path ("s3://bucket/" before it)
  int requests_ = 1;
  SampleSink& sink_;
  std::mutex mutex_;
  std::condition_variable cv_;  // the feeder waits for an epoch, room, or a moved window
  bool stopping_ = false;
  int64_t generation_ = 0;    // of the epoch being read; 0: none yet
  int64_t window_moves_ = 0;  // window_moved calls, so the feeder misses none
  int in_flight_ = 0;         // GETs submitted and not yet delivered
  std::thread feeder_;
};

}  // namespace imagenet
