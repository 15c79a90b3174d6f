// Implements make_sample_source of data/sample_source.h: the one place that picks a source from
// the dataset: files or shards, on a local (or mounted) file system or in S3.
#include "imagenet/data/sample_source.h"

#include <algorithm>

#include "imagenet/data/batch_loader.h"
#include "imagenet/data/file_source.h"
#include "imagenet/data/s3_source.h"
#include "imagenet/data/shard_source.h"
#include "imagenet/s3/s3_object_stream.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

/// A client of its own for one loader's source (the source owns it: its callbacks end with it).
std::unique_ptr<S3Client> make_client(const LoaderOptions& options, int in_flight) {
  S3ClientOptions client;
  client.settings = resolve_s3_settings(options.s3);
  client.max_in_flight = in_flight;
  return std::make_unique<S3Client>(std::move(client));
}

}  // namespace

StandIn random_stand_in(uint64_t seed, int64_t dataset_index, int attempt, size_t num_samples) {
  const uint64_t draw =
      derive_seed(seed, static_cast<uint64_t>(dataset_index), static_cast<uint64_t>(attempt));
  StandIn stand_in;
  stand_in.dataset_index = static_cast<int64_t>(draw % static_cast<uint64_t>(num_samples));
  return stand_in;
}

std::unique_ptr<SampleSource> make_sample_source(std::shared_ptr<const DatasetIndex> index,
                                                 const LoaderOptions& options, SampleSink& sink) {
  const bool s3 = is_s3_uri(index->split_dir);
  if (!index->shards.empty()) {
    // Each stream keeps S3ObjectStream's chunks in flight ahead of it, plus one being read.
    const int streams = std::clamp(options.io_threads, 1, kMaxShardStreams);
    return std::make_unique<ShardSource>(
        std::move(index), options.sampler, options.read_policy, options.io_threads,
        options.shuffle_buffer, sink,
        s3 ? make_client(options, streams * (S3StreamOptions{}.ahead + 1)) : nullptr);
  }
  if (s3)
    return std::make_unique<S3Source>(std::move(index), options.sampler,
                                      make_client(options, options.s3_requests),
                                      options.s3_requests, sink);
  return std::make_unique<FileSource>(std::move(index), options.sampler, options.read_policy,
                                      options.io_threads, sink);
}

}  // namespace imagenet
