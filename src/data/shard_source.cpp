// Implements data/shard_source.h. A stream takes the next shard of the epoch's plan, reads it
// member by member (TarReader: large sequential reads) and delivers each sample once the loader's
// window has come within shuffle_buffer samples of its stream index: a sample the buffer emits
// at position p entered the stream at most shuffle_buffer samples after p, so every position of
// the window is delivered while memory stays bounded.
#include "imagenet/data/shard_source.h"

#include <algorithm>

#include "imagenet/data/image_decoder.h"
#include "imagenet/data/shards.h"
#include "imagenet/data/tar.h"
#include "imagenet/s3/s3_object_stream.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"
#include "imagenet/util/rng.h"

namespace imagenet {

ShardSource::ShardSource(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler,
                         ReadPolicy policy, int io_threads, int shuffle_buffer, SampleSink& sink,
                         std::unique_ptr<S3Client> s3)
    : index_(std::move(index)),
      sampler_(sampler),
      policy_(policy),
      buffer_(sampler.shuffle ? shuffle_buffer : 0),
      sink_(sink),
      s3_(std::move(s3)) {
  IMAGENET_CHECK(!index_->shards.empty(), "a ShardSource needs shards");
  if (samples_per_rank(*index_, sampler_) == 0)
    throw UsageError(str_cat("the set in ", index_->split_dir, " has ", index_->shards.size(),
                             " shards, fewer than the ", sampler_.world_size,
                             " processes that share it: pack it again with a smaller "
                             "--shard_size."));
  const int streams = std::clamp(io_threads, 1, kMaxShardStreams);
  for (int i = 0; i < streams; ++i) threads_.emplace_back([this] { stream_main(); });
}

ShardSource::~ShardSource() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  entry_cv_.notify_all();
  for (auto& thread : threads_) thread.join();
}

std::vector<int64_t> ShardSource::start_epoch(const EpochReads& reads) {
  const int64_t per_rank = samples_per_rank(*index_, sampler_);
  ShardEpochPlan plan = plan_shard_epoch(*index_, reads.epoch, sampler_, buffer_, per_rank);
  std::vector<int64_t> order(static_cast<size_t>(per_rank));
  for (int64_t p = 0; p < per_rank; ++p) order[p] = plan.dataset_index[plan.order[p]];

  auto epoch = std::make_shared<Epoch>();
  epoch->generation = reads.generation;
  epoch->position_of_stream.assign(plan.dataset_index.size(), -1);
  const int64_t end = std::min(per_rank, reads.max_positions);
  for (int64_t p = reads.first_position; p < end; ++p) {
    epoch->position_of_stream[plan.order[p]] = p;
    epoch->last_needed = std::max(epoch->last_needed, plan.order[p]);
  }
  epoch->shards = std::move(plan.shards);
  epoch->stream_start = std::move(plan.stream_start);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    epoch_ = std::move(epoch);
    next_entry_ = 0;
  }
  entry_cv_.notify_all();
  return order;
}

bool ShardSource::has_entry_locked() const {
  return epoch_ && next_entry_ < epoch_->shards.size() &&
         epoch_->stream_start[next_entry_] <= epoch_->last_needed;
}

void ShardSource::stream_main() {
  while (true) {
    std::shared_ptr<const Epoch> epoch;  // keeps it alive while a new epoch is published
    size_t entry = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      entry_cv_.wait(lock, [&] { return stopping_ || has_entry_locked(); });
      if (stopping_) return;
      epoch = epoch_;
      entry = next_entry_++;
    }
    const ShardInfo& shard = index_->shards[epoch->shards[entry]];
    try {
      read_shard(*epoch, entry);
    } catch (const std::exception& e) {  // not a bad shard: out of memory, say
      sink_.fail(
          epoch->generation,
          std::make_exception_ptr(RuntimeError(str_cat("reading ", shard.path, ": ", e.what()))));
    }
  }
}

void ShardSource::read_shard(const Epoch& epoch, size_t entry) {
  const ShardInfo& shard = index_->shards[epoch.shards[entry]];
  const int64_t first = epoch.stream_start[entry];
  int64_t k = 0;  // samples of this shard delivered
  std::string failure;
  try {
    // An s3:// shard: one object streamed by ranged GETs, its retries counted on the samples.
    std::unique_ptr<S3ObjectStream> stream;
    std::unique_ptr<TarReader> tar;
    if (s3_) {
      const S3Uri uri = parse_s3_uri(shard.path, "shard");
      stream = std::make_unique<S3ObjectStream>(*s3_, uri.bucket, uri.prefix, shard.bytes);
      tar = std::make_unique<TarReader>(
          [&stream](uint8_t* dst, size_t n) { return stream->read(dst, n); }, shard.path,
          static_cast<uint64_t>(stream->size()));
    } else {
      tar = std::make_unique<TarReader>(shard.path, policy_);
    }
    TarReader& reader = *tar;
    int retries_counted = 0;
    TarMember member;
    std::string key, current_key, extension;
    SampleBytes sample;
    std::string label_text;
    bool have_image = false;
    // A sample is complete when the next key starts (or the archive ends).
    auto complete = [&]() -> bool {
      if (!have_image) {
        sample.error = "no image in the sample (" + current_key + ")";
      } else if (!label_text.empty() &&
                 str_trim(label_text) !=
                     std::to_string(index_->samples[shard.first_sample + k].label)) {
        sample.error =
            str_cat(current_key, ".cls says ", str_trim(label_text), ", the shard index says ",
                    index_->samples[shard.first_sample + k].label);
      }
      if (stream) {
        sample.retries = stream->retries() - retries_counted;
        retries_counted += sample.retries;
      }
      const bool go_on = k < shard.samples && deliver(epoch, first + k, std::move(sample));
      ++k;
      sample = SampleBytes{};
      label_text.clear();
      have_image = false;
      return go_on;
    };
    while (reader.next(&member)) {
      split_sample_name(member.name, &key, &extension);
      if (key != current_key && !current_key.empty() && !complete()) return;
      current_key = key;
      if (extension == "cls") {
        label_text.assign(member.data.begin(), member.data.end());
      } else if (extension == "jpg" || extension == "jpeg" || extension == "png") {
        sample.bytes = std::move(member.data);
        member.data = sink_.recycled_buffer();
        have_image = true;
      }
    }
    if (!current_key.empty() && !complete()) return;
    if (k != shard.samples)
      failure = str_cat("holds ", k, " samples, the shard index says ", shard.samples);
  } catch (const DecodeError& e) {
    failure = e.what();
  }
  // Samples the shard failed to give are bad samples, each counted and replaced.
  for (; k < shard.samples; ++k) {
    SampleBytes bad;
    bad.error = str_cat(shard.path, ": ", failure);
    if (!deliver(epoch, first + k, std::move(bad))) return;
  }
}

bool ShardSource::deliver(const Epoch& epoch, int64_t stream_index, SampleBytes sample) {
  if (stream_index > epoch.last_needed) return false;  // the rest is not needed this epoch
  if (!sink_.wait_for_window(epoch.generation, stream_index - buffer_)) return false;
  const int64_t position = epoch.position_of_stream[stream_index];
  // Before a resumed epoch's first batch, or past its end: read, not loaded.
  if (position >= 0) sink_.deliver(epoch.generation, position, std::move(sample));
  return true;
}

void ShardSource::read(int64_t dataset_index, SampleBytes* /*sample*/) {
  throw RuntimeError(str_cat("shard sample ", index_->samples[dataset_index].path,
                             " asked for alone: shards are only streamed"));
}

StandIn ShardSource::stand_in(int64_t /*position*/, int64_t dataset_index, int attempt,
                              int64_t batch_first, int batch_size) const {
  const uint64_t draw = derive_seed(sampler_.seed, static_cast<uint64_t>(dataset_index),
                                    static_cast<uint64_t>(attempt));
  StandIn stand_in;
  stand_in.position = batch_first + static_cast<int64_t>(draw % static_cast<uint64_t>(batch_size));
  return stand_in;
}

}  // namespace imagenet
