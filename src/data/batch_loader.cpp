// Implements data/batch_loader.h. The source delivers samples into the ring's window, in any
// order; workers decode whichever delivered sample comes first in the epoch's order, so all of
// them fill the oldest unfinished batch together and the consumer waits for that batch only.
// A generation number tags each epoch: work of an abandoned epoch is dropped.
#include "imagenet/data/batch_loader.h"

#include <algorithm>
#include <chrono>

#include "imagenet/data/crop.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

constexpr int kMaxSubstitutes = 16;
constexpr size_t kMaxBadExamples = 10;
constexpr size_t kLabelAlignment = 64;

/// Batches of `n` samples: the last partial one dropped or kept.
int64_t batches_of(int64_t n, const LoaderOptions& options) {
  return options.sampler.drop_last ? n / options.batch_size
                                   : (n + options.batch_size - 1) / options.batch_size;
}

}  // namespace

int64_t batches_per_epoch(int64_t dataset_size, const LoaderOptions& options) {
  // The sampler's share for this rank: floor or ceil of size / world (drop_last or padding),
  // or its exact share without padding.
  return batches_of(samples_per_rank(dataset_size, options.sampler), options);
}

int64_t batches_per_epoch(const DatasetIndex& index, const LoaderOptions& options) {
  return batches_of(samples_per_rank(index, options.sampler), options);
}

BatchLoader::BatchLoader(std::shared_ptr<const DatasetIndex> index, LoaderOptions options,
                         const SampleSourceFactory& make_source)
    : index_(std::move(index)), options_(std::move(options)) {
  IMAGENET_CHECK(index_ && !index_->samples.empty(), "the ", options_.name, " dataset is empty");
  IMAGENET_CHECK(options_.batch_size > 0, "batch_size must be positive");
  const int size = options_.transform.size;
  image_bytes_ = static_cast<size_t>(options_.batch_size) * size * size * 3;

  // The source first: it refuses a dataset it cannot read with the more precise message. Its
  // threads wait for start_epoch, so it is safe to destroy if the checks below throw.
  source_ = make_source ? make_source(*this) : make_sample_source(index_, options_, *this);
  reads_in_workers_ = source_->reads_in_workers();
  num_batches_ = batches_per_epoch(*index_, options_);
  if (options_.max_batches > 0) num_batches_ = std::min(num_batches_, options_.max_batches);
  if (num_batches_ == 0)
    throw UsageError(str_cat("the ", options_.name, " set has ", index_->samples.size(),
                             " images (", options_.sampler.world_size,
                             " processes), fewer than one batch of ", options_.batch_size,
                             " per process. Lower batch_size."));

  // Each slot: [batch, size, size, 3] uint8 images, then [batch] int64 labels, in one
  // allocation so that both are page-locked when the allocator pins memory.
  const size_t label_offset =
      (image_bytes_ + kLabelAlignment - 1) / kLabelAlignment * kLabelAlignment;
  const size_t slot_bytes = label_offset + sizeof(int64_t) * options_.batch_size;
  const int ring = std::max(1, options_.prefetch_batches) + 1;
  slots_.resize(ring);
  for (auto& slot : slots_) {
    slot.memory =
        static_cast<uint8_t*>(options_.allocator.allocate ? options_.allocator.allocate(slot_bytes)
                                                          : ::operator new(slot_bytes));
    slot.images = slot.memory;
    slot.labels = reinterpret_cast<int64_t*>(slot.memory + label_offset);
  }
  const int threads = std::max(1, options_.num_workers);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_main(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  // Every wait of the workers and of the source's threads in the sink ends on stopping_.
  work_cv_.notify_all();
  read_cv_.notify_all();
  sample_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  source_.reset();  // joins the source's threads (workers call into it: they are gone)
  for (auto& slot : slots_) {
    try {
      wait_for_fence(slot);  // a copy may still read this memory
    } catch (const std::exception& e) {
      log_warn(str_cat("waiting for a batch copy at shutdown: ", e.what()));
    }
    options_.allocator.release ? options_.allocator.release(slot.memory)
                               : ::operator delete(slot.memory);
  }
}

int64_t BatchLoader::samples_per_epoch() const {
  int64_t n = static_cast<int64_t>(
      epoch_indices(static_cast<int64_t>(index_->samples.size()), 0, options_.sampler).size());
  return std::min(n, num_batches_ * options_.batch_size);
}

int BatchLoader::batch_size_of(int64_t batch) const {
  return static_cast<int>(
      std::min<int64_t>(options_.batch_size, end_position_ - batch * options_.batch_size));
}

void BatchLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  int64_t generation = 0;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    IMAGENET_CHECK(outstanding_ == 0, "start_epoch with ", outstanding_, " batches not released");
    generation = ++generation_;
    active_ = false;
    read_cv_.notify_all();  // the source's waits for the old epoch give up
    sample_cv_.notify_all();
    idle_cv_.wait(lock, [&] { return in_flight_ == 0; });
    for (auto& entry : samples_) recycle_locked(std::move(entry.second.bytes));
    samples_.clear();
    delivered_ = {};
  }
  // The source starts reading at once; its sink calls for this generation wait for active_.
  first_batch = std::clamp<int64_t>(first_batch, 0, num_batches_);
  const EpochReads reads{generation, epoch, first_batch * options_.batch_size,
                         num_batches_ * options_.batch_size};
  std::vector<int64_t> order = source_->start_epoch(reads);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    epoch_ = epoch;
    order_ = std::move(order);
    end_position_ = std::min<int64_t>(static_cast<int64_t>(order_.size()), reads.max_positions);
    next_claim_ = reads.first_position;
    window_start_ = next_batch_ = first_batch;
    for (auto& slot : slots_) {  // fences stay: a copy of the last epoch may still be running
      slot.filled = 0;
      slot.released = false;
    }
    error_ = nullptr;
    stats_ = LoaderEpochStats{};
    active_ = true;
  }
  work_cv_.notify_all();
  read_cv_.notify_all();
  source_->window_moved();
}

SampleSink::Claim BatchLoader::claim(int64_t generation, bool wait, SampleClaim* claim) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (stopping_ || generation != generation_) return Claim::kDone;
    if (active_ && next_claim_ >= end_position_) return Claim::kDone;
    if (active_ && claimable_locked()) {
      claim->position = next_claim_++;
      claim->dataset_index = order_[claim->position];
      return Claim::kClaimed;
    }
    if (!wait) return Claim::kWindowFull;
    read_cv_.wait(lock);
  }
}

bool BatchLoader::wait_for_window(int64_t generation, int64_t end) {
  std::unique_lock<std::mutex> lock(mutex_);
  read_cv_.wait(lock, [&] {
    return stopping_ || generation != generation_ || (active_ && window_end_locked() >= end);
  });
  return !stopping_ && generation == generation_;
}

void BatchLoader::deliver(int64_t generation, int64_t position, SampleBytes sample) {
  bool failed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || generation != generation_) {
      recycle_locked(std::move(sample.bytes));
      return;
    }
    stats_.read_retries += sample.retries;
    if (active_ && position >= window_start_ * options_.batch_size && position < end_position_ &&
        samples_.emplace(position, std::move(sample)).second) {
      delivered_.push(position);
    } else if (!error_) {  // a bug in the source: the epoch ends, not the source's thread
      error_ = std::make_exception_ptr(RuntimeError(str_cat(
          "the ", options_.name, " sample source delivered position ", position, " out of turn")));
      failed = true;
    }
  }
  work_cv_.notify_one();
  sample_cv_.notify_all();
  if (failed) ready_cv_.notify_all();  // not per sample: next() waits for whole batches
}

void BatchLoader::fail(int64_t generation, std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || generation != generation_ || error_) return;
    error_ = std::move(error);
  }
  ready_cv_.notify_all();
}

std::vector<uint8_t> BatchLoader::recycled_buffer() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (spare_buffers_.empty()) return {};
  std::vector<uint8_t> bytes = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return bytes;
}

void BatchLoader::recycle_locked(std::vector<uint8_t>&& bytes) {
  // As many as the ring holds: more would only be memory no read is using.
  if (bytes.capacity() == 0 || spare_buffers_.size() >= slots_.size() * options_.batch_size) return;
  bytes.clear();
  spare_buffers_.push_back(std::move(bytes));
}

bool BatchLoader::has_task_locked() const {
  return active_ && (delivered_task_locked() || (reads_in_workers_ && claimable_locked()));
}

void BatchLoader::worker_main() {
  ImageDecoder decoder(options_.max_image_pixels);
  DecodedImage decoded;
  WorkerScratch scratch;
  scratch.decoded = &decoded;
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || has_task_locked(); });
      if (stopping_) return;
      if (delivered_task_locked()) {
        task.position = delivered_.top();
        delivered_.pop();
        task.sample = &samples_.at(task.position);  // stays put until the batch is released
      } else {
        task.position = next_claim_++;
      }
      task.generation = generation_;
      ++in_flight_;
    }
    std::exception_ptr failure;
    double busy = 0;  // decoding and resizing, not waiting for reads
    int retries = 0;  // of the reads this worker made
    try {
      busy = load_task(task, decoder, scratch, &retries);
    } catch (...) {
      failure = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_flight_;
      if (task.generation == generation_) {
        if (failure && !error_) error_ = failure;
        ++slot_of(task.position).filled;
        ++stats_.samples;
        stats_.decode_seconds += busy;
        stats_.read_retries += retries;
      }
    }
    ready_cv_.notify_all();
    idle_cv_.notify_all();
  }
}

double BatchLoader::load_task(const Task& task, ImageDecoder& decoder, WorkerScratch& scratch,
                              int* retries) {
  Slot& slot = slot_of(task.position);
  const int in_batch = static_cast<int>(task.position % options_.batch_size);
  const int64_t batch = task.position / options_.batch_size;

  // An unreadable image is replaced by another one, chosen deterministically by the source, so
  // the batch keeps its size and the run stays reproducible. A stand-in takes the position's
  // copy number (repeated augmentation) with it.
  int64_t dataset_index = order_[task.position];
  const int copy =
      sample_copy(static_cast<int64_t>(index_->samples.size()), task.position, options_.sampler);
  const SampleBytes* sample = task.sample;
  for (int attempt = 0; attempt <= kMaxSubstitutes; ++attempt) {
    try {
      if (sample == nullptr) {  // read here: a source without threads, or a stand-in
        source_->read(dataset_index, &scratch.read);
        *retries += scratch.read.retries;
        sample = &scratch.read;
      }
      if (!sample->error.empty()) throw DecodeError(sample->error);
      const auto start = std::chrono::steady_clock::now();
      load_sample(dataset_index, copy, sample->bytes, decoder, scratch, slot, in_batch);
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } catch (const DecodeError& e) {
      record_bad_sample(dataset_index, e.what());
      const StandIn stand_in = source_->stand_in(task.position, dataset_index, attempt,
                                                 batch * options_.batch_size, batch_size_of(batch));
      if (stand_in.position >= 0) {
        sample = wait_for_sample(stand_in.position, task.generation);
        if (sample == nullptr) return 0;  // a new epoch started: this result is dropped anyway
        dataset_index = order_[stand_in.position];
      } else {
        sample = nullptr;
        dataset_index = stand_in.dataset_index;
      }
    } catch (const std::exception& e) {
      // Anything else (out of memory, a failed copy fence) ends the run, naming the file.
      throw RuntimeError(str_cat("loading ", index_->samples[dataset_index].path, ": ", e.what()));
    }
  }
  throw RuntimeError(str_cat(kMaxSubstitutes + 1, " images in a row could not be read near ",
                             index_->samples[order_[task.position]].path,
                             ". Is the data folder readable?"));
}

const SampleBytes* BatchLoader::wait_for_sample(int64_t position, int64_t generation) {
  std::unique_lock<std::mutex> lock(mutex_);
  sample_cv_.wait(
      lock, [&] { return stopping_ || generation != generation_ || samples_.count(position) > 0; });
  if (stopping_ || generation != generation_) return nullptr;
  return &samples_.at(position);  // stays put until the batch is released
}

void BatchLoader::load_sample(int64_t dataset_index, int copy, const std::vector<uint8_t>& file,
                              ImageDecoder& decoder, WorkerScratch& scratch, Slot& slot,
                              int in_batch) {
  const SampleTransform& t = options_.transform;
  ImageInfo info = decoder.read_info(file.data(), file.size());
  // Every draw of this sample (crop, flip, augmentation, erasing) from one stream of (seed,
  // epoch, dataset index, copy): copy 0 is the stream without repeated augmentation.
  Rng rng(derive_seed(options_.sampler.seed, static_cast<uint64_t>(epoch_),
                      static_cast<uint64_t>(dataset_index), static_cast<uint64_t>(copy)));
  CropWindow window =
      t.random_crop
          ? sample_random_resized_crop(info.width, info.height, t.crop_scale, t.crop_ratio, rng)
      : t.val_resize > 0 ? center_crop_window_resized(info.width, info.height, t.val_resize, t.size)
                         : center_crop_window(info.width, info.height, t.size, t.val_crop_ratio);
  const bool flip = t.random_crop && rng.bernoulli(t.hflip_prob);
  DecodedImage& decoded = *scratch.decoded;
  decoder.decode(file.data(), file.size(), window, t.size, t.size, &decoded);
  // Only now write into the slot: a copy of its previous batch may have been running.
  wait_for_fence(slot);
  uint8_t* pixels = slot.images + static_cast<size_t>(in_batch) * t.size * t.size * 3;
  resize_crop_into(decoded, t.size, t.size, flip, pixels,
                   t.random_crop ? t.interpolation : Interpolation::kBilinear);
  if (t.random_crop) {
    // The crop's augmentation and erasing, in place, as uint8 (the step sees nothing new).
    if (t.augment.family != AugmentFamily::kNone)
      apply_augment_ops(pixels, t.size, t.size, sample_augment_ops(t.augment, t.size, t.size, rng),
                        t.augment.fill, scratch.augment);
    if (t.erasing.probability > 0)
      erase_boxes(pixels, t.size, t.size, sample_erase_boxes(t.erasing, t.size, t.size, rng),
                  t.erasing);
  }
  slot.labels[in_batch] = index_->samples[dataset_index].label;
}

void BatchLoader::wait_for_fence(Slot& slot) {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait(lock, [&] { return !slot.fence_running; });  // another worker runs it
  if (!slot.fence) return;
  std::function<void()> fence = std::move(slot.fence);
  slot.fence = nullptr;
  slot.fence_running = true;
  lock.unlock();
  std::exception_ptr failure;
  try {
    fence();
  } catch (...) {
    failure = std::current_exception();
  }
  lock.lock();
  slot.fence_running = false;
  idle_cv_.notify_all();
  if (failure) std::rethrow_exception(failure);
}

void BatchLoader::record_bad_sample(int64_t dataset_index, const std::string& reason) {
  const std::string& path = index_->samples[dataset_index].path;
  bool first_few = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.bad_samples;
    if (stats_.bad_examples.size() < kMaxBadExamples) {
      stats_.bad_examples.push_back(path + ": " + reason);
      first_few = true;
    }
    const double limit = options_.max_bad_fraction * static_cast<double>(end_position_);
    if (static_cast<double>(stats_.bad_samples) > limit && !error_) {
      error_ = std::make_exception_ptr(RuntimeError(str_cat(
          stats_.bad_samples, " images of the ", options_.name, " set could not be read in epoch ",
          epoch_, ", more than max_bad_samples_fraction (",
          format_number(options_.max_bad_fraction), ") of ", end_position_,
          ". First: ", stats_.bad_examples.front(),
          ". Fix or remove the files, or raise max_bad_samples_fraction.")));
    }
  }
  if (first_few) log_warn(str_cat("skipping unreadable image ", path, ": ", reason));
}

std::shared_ptr<const Batch> BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  IMAGENET_CHECK(active_, "next() before start_epoch()");
  if (next_batch_ >= num_batches_) return nullptr;
  const int64_t batch_index = next_batch_;
  Slot& slot = slots_[batch_index % slots_.size()];
  const int size = batch_size_of(batch_index);
  ready_cv_.wait(lock, [&] { return error_ || slot.filled >= size; });
  if (error_) std::rethrow_exception(error_);
  ++next_batch_;
  ++outstanding_;

  const int side = options_.transform.size;
  auto batch = new Batch{epoch_, batch_index, size, side, side, slot.images, slot.labels};
  return std::shared_ptr<const Batch>(batch, [this](const Batch* b) {
    release(b->index);
    delete b;
  });
}

void BatchLoader::release_after(std::shared_ptr<const Batch> batch,
                                std::function<void()> wait_until_free) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot& slot = slots_[batch->index % slots_.size()];
    if (slot.fence) {  // an older fence nobody waited for yet: keep both
      slot.fence = [first = std::move(slot.fence), second = std::move(wait_until_free)] {
        first();
        second();
      };
    } else {
      slot.fence = std::move(wait_until_free);
    }
  }
  batch.reset();
}

void BatchLoader::release(int64_t batch_index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --outstanding_;
    slots_[batch_index % slots_.size()].released = true;
    while (window_start_ < next_batch_ && slots_[window_start_ % slots_.size()].released) {
      Slot& slot = slots_[window_start_ % slots_.size()];
      slot.released = false;
      slot.filled = 0;
      for (int64_t p = window_start_ * options_.batch_size;
           p < (window_start_ + 1) * options_.batch_size && !samples_.empty(); ++p) {
        auto it = samples_.find(p);
        if (it == samples_.end()) continue;
        recycle_locked(std::move(it->second.bytes));
        samples_.erase(it);
      }
      ++window_start_;
    }
  }
  work_cv_.notify_all();
  read_cv_.notify_all();
  source_->window_moved();
}

LoaderEpochStats BatchLoader::epoch_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace imagenet
