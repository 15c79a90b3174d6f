// Implements make_sample_source of data/sample_source.h: the one place that picks a source from
// the dataset (files or shards; an s3:// root will add its own).
#include "imagenet/data/sample_source.h"

#include "imagenet/data/batch_loader.h"
#include "imagenet/data/file_source.h"
#include "imagenet/data/shard_source.h"

namespace imagenet {

std::unique_ptr<SampleSource> make_sample_source(std::shared_ptr<const DatasetIndex> index,
                                                 const LoaderOptions& options, SampleSink& sink) {
  if (!index->shards.empty())
    return std::make_unique<ShardSource>(std::move(index), options.sampler, options.read_policy,
                                         options.io_threads, options.shuffle_buffer, sink);
  return std::make_unique<FileSource>(std::move(index), options.sampler, options.read_policy,
                                      options.io_threads, sink);
}

}  // namespace imagenet
