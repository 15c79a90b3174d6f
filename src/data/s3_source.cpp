// Implements data/s3_source.h. The feeding thread claims positions without waiting (the multi
// interface runs on the client's own thread), submits one GET per position while fewer than
// `requests` are in flight, and sleeps when the ring's window is full until a batch is
// released. Completions arrive on the client's thread and are delivered from there.
#include "imagenet/data/s3_source.h"

#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"

namespace imagenet {

S3Source::S3Source(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler,
                   std::unique_ptr<S3Client> client, int requests, SampleSink& sink)
    : index_(std::move(index)),
      sampler_(sampler),
      client_(std::move(client)),
      requests_(std::max(1, requests)),
      sink_(sink) {
  IMAGENET_CHECK(client_ != nullptr, "an S3Source needs a client");
  bucket_ = parse_s3_uri(index_->split_dir, "data_root").bucket;
  key_offset_ = std::string("s3://").size() + bucket_.size() + 1;
  feeder_ = std::thread([this] { feed_main(); });
}

S3Source::~S3Source() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  feeder_.join();
  client_.reset();  // joins its thread: no callback runs after this
}

std::vector<int64_t> S3Source::start_epoch(const EpochReads& reads) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_ = reads.generation;
  }
  cv_.notify_all();
  return epoch_indices(static_cast<int64_t>(index_->samples.size()), reads.epoch, sampler_);
}

void S3Source::window_moved() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++window_moves_;
  }
  cv_.notify_all();
}

S3Request S3Source::request_for(int64_t dataset_index) const {
  S3Request request;
  request.bucket = bucket_;
  request.key = index_->samples[dataset_index].path.substr(key_offset_);
  return request;
}

void S3Source::to_sample(S3Response&& response, SampleBytes* sample) const {
  sample->retries = std::max(0, response.attempts - 1);
  sample->error.clear();
  if (response.ok()) {
    sample->bytes.assign(response.body.begin(), response.body.end());
    return;
  }
  sample->bytes.clear();
  sample->error =
      str_cat(response.status == 404 ? "not in the bucket (changed since it was listed? run "
                                       "with --rescan)"
                                     : response.error,
              " after ", response.attempts, " attempts");
}

void S3Source::feed_main() {
  int64_t finished = 0;  // the last epoch everything was claimed in
  while (true) {
    int64_t generation = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || generation_ != finished; });
      if (stopping_) return;
      generation = generation_;
    }
    while (true) {
      int64_t moves = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock,
                 [&] { return stopping_ || generation_ != generation || in_flight_ < requests_; });
        if (stopping_) return;
        if (generation_ != generation) break;
        moves = window_moves_;
      }
      SampleClaim claim;
      const SampleSink::Claim got = sink_.claim(generation, /*wait=*/false, &claim);
      if (got == SampleSink::Claim::kDone) break;
      if (got == SampleSink::Claim::kWindowFull) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock,
                 [&] { return stopping_ || generation_ != generation || window_moves_ != moves; });
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++in_flight_;
      }
      client_->submit(request_for(claim.dataset_index), [this, generation, claim](S3Response&& r) {
        SampleBytes sample;
        sample.bytes = sink_.recycled_buffer();
        to_sample(std::move(r), &sample);
        sink_.deliver(generation, claim.position, std::move(sample));
        {
          std::lock_guard<std::mutex> lock(mutex_);
          --in_flight_;
        }
        cv_.notify_all();
      });
    }
    finished = generation;
  }
}

void S3Source::read(int64_t dataset_index, SampleBytes* sample) {
  to_sample(client_->perform(request_for(dataset_index)), sample);
}

StandIn S3Source::stand_in(int64_t /*position*/, int64_t dataset_index, int attempt,
                           int64_t /*batch_first*/, int /*batch_size*/) const {
  return random_stand_in(sampler_.seed, dataset_index, attempt, index_->samples.size());
}

}  // namespace imagenet
