// Implements data/file_source.h. Each I/O thread claims the next position of the epoch from the
// loader (which gives out only positions of its ring), reads the file and delivers it; reads
// complete out of order, and the loader decodes the earliest first.
#include "imagenet/data/file_source.h"

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"

namespace imagenet {

FileSource::FileSource(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler,
                       ReadPolicy policy, int io_threads, SampleSink& sink)
    : index_(std::move(index)), sampler_(sampler), policy_(policy), sink_(sink) {
  for (int i = 0; i < io_threads; ++i) threads_.emplace_back([this] { io_main(); });
}

FileSource::~FileSource() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  started_cv_.notify_all();
  for (auto& thread : threads_) thread.join();
}

std::vector<int64_t> FileSource::start_epoch(const EpochReads& reads) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_ = reads.generation;
  }
  started_cv_.notify_all();
  return epoch_indices(static_cast<int64_t>(index_->samples.size()), reads.epoch, sampler_);
}

void FileSource::io_main() {
  int64_t finished = 0;  // the last epoch this thread found nothing more to read in
  while (true) {
    int64_t generation = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      started_cv_.wait(lock, [&] { return stopping_ || generation_ != finished; });
      if (stopping_) return;
      generation = generation_;
    }
    SampleClaim claim;
    while (sink_.claim(generation, /*wait=*/true, &claim) == SampleSink::Claim::kClaimed) {
      SampleBytes sample;
      sample.bytes = sink_.recycled_buffer();
      try {
        read(claim.dataset_index, &sample);
      } catch (const std::exception& e) {  // not a bad file: out of memory, say
        sink_.fail(generation,
                   std::make_exception_ptr(RuntimeError(str_cat(
                       "reading ", index_->samples[claim.dataset_index].path, ": ", e.what()))));
        break;
      }
      sink_.deliver(generation, claim.position, std::move(sample));
    }
    finished = generation;
  }
}

void FileSource::read(int64_t dataset_index, SampleBytes* sample) {
  sample->error.clear();
  sample->retries = 0;
  try {
    sample->retries =
        read_file_with_retries(index_->samples[dataset_index].path, sample->bytes, policy_);
  } catch (const DecodeError& e) {
    sample->error = e.what();
    if (sample->error.empty()) sample->error = "unreadable";
  }
}

StandIn FileSource::stand_in(int64_t /*position*/, int64_t dataset_index, int attempt,
                             int64_t /*batch_first*/, int /*batch_size*/) const {
  return random_stand_in(sampler_.seed, dataset_index, attempt, index_->samples.size());
}

}  // namespace imagenet
