// Implements data/batch_loader.h. I/O threads read files in epoch order, at most the ring's
// worth of positions ahead; workers decode whichever read file comes first in that order, so
// all of them fill the oldest unfinished batch together and the consumer waits for that batch
// only. Without I/O threads the workers read the files themselves.
#include "imagenet/data/batch_loader.h"

#include <algorithm>
#include <chrono>

#include "imagenet/data/crop.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/tar.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

constexpr int kMaxSubstitutes = 16;
constexpr size_t kMaxBadExamples = 10;
constexpr size_t kLabelAlignment = 64;

}  // namespace

int64_t batches_per_epoch(int64_t dataset_size, const LoaderOptions& options) {
  // The sampler's share for this rank: floor or ceil of size / world (drop_last or padding),
  // or its exact share without padding.
  const int64_t n = samples_per_rank(dataset_size, options.sampler);
  return options.sampler.drop_last ? n / options.batch_size
                                   : (n + options.batch_size - 1) / options.batch_size;
}

int64_t samples_per_rank(const DatasetIndex& index, const SamplerOptions& sampler) {
  const int64_t n = static_cast<int64_t>(index.samples.size());
  if (index.shards.empty() || sampler.shuffle || sampler.drop_last || sampler.pad)
    return samples_per_rank(n, sampler);
  int64_t mine = 0;
  for (size_t s = sampler.rank; s < index.shards.size(); s += sampler.world_size)
    mine += index.shards[s].samples;
  return mine;
}

int64_t batches_per_epoch(const DatasetIndex& index, const LoaderOptions& options) {
  const int64_t n = samples_per_rank(index, options.sampler);
  return options.sampler.drop_last ? n / options.batch_size
                                   : (n + options.batch_size - 1) / options.batch_size;
}

BatchLoader::BatchLoader(std::shared_ptr<const DatasetIndex> index, LoaderOptions options)
    : index_(std::move(index)), options_(std::move(options)) {
  IMAGENET_CHECK(index_ && !index_->samples.empty(), "the ", options_.name, " dataset is empty");
  IMAGENET_CHECK(options_.batch_size > 0, "batch_size must be positive");
  const int size = options_.transform.size;
  image_bytes_ = static_cast<size_t>(options_.batch_size) * size * size * 3;

  num_batches_ = batches_per_epoch(*index_, options_);
  if (options_.max_batches > 0) num_batches_ = std::min(num_batches_, options_.max_batches);
  if (num_batches_ == 0 && shards() &&
      options_.sampler.rank >= static_cast<int>(index_->shards.size()))
    throw UsageError(str_cat("the ", options_.name, " set has ", index_->shards.size(),
                             " shards, fewer than the ", options_.sampler.world_size,
                             " processes that share it: pack it again with a smaller "
                             "--shard_size."));
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
  if (shards()) {
    // Shards are always read by I/O threads: a few sequential streams suffice.
    options_.io_threads = std::clamp(options_.io_threads, 1, 8);
  } else if (options_.io_threads > 0) {
    fetched_.resize(static_cast<size_t>(ring) * options_.batch_size);
  }
  for (int i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] { io_main(); });
  const int threads = std::max(1, options_.num_workers);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_main(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  io_cv_.notify_all();
  item_cv_.notify_all();
  for (auto& thread : io_threads_) thread.join();
  for (auto& worker : workers_) worker.join();
  for (auto& slot : slots_) {
    // A copy may still read this memory: wait for it before freeing.
    if (slot.fence) {
      try {
        slot.fence();
      } catch (const std::exception& e) {
        log_warn(str_cat("waiting for a batch copy at shutdown: ", e.what()));
      }
    }
    if (options_.allocator.release) {
      options_.allocator.release(slot.memory);
    } else {
      ::operator delete(slot.memory);
    }
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
  std::unique_lock<std::mutex> lock(mutex_);
  IMAGENET_CHECK(outstanding_ == 0, "start_epoch with ", outstanding_, " batches not released");
  ++generation_;
  active_ = false;
  io_cv_.notify_all();  // readers waiting for room see the new generation and give up
  item_cv_.notify_all();
  idle_cv_.wait(lock, [&] { return in_flight_ == 0; });

  epoch_ = epoch;
  first_batch = std::clamp<int64_t>(first_batch, 0, num_batches_);
  if (shards()) {
    // The samples come out of the shuffle buffer in plan_.order; positions before first_batch
    // (a resumed epoch) are read and dropped, since a shard is read from its start.
    const int64_t per_rank = samples_per_rank(*index_, options_.sampler);
    plan_ = plan_shard_epoch(*index_, epoch, options_.sampler,
                             options_.sampler.shuffle ? options_.shuffle_buffer : 0, per_rank);
    order_.resize(static_cast<size_t>(per_rank));
    for (int64_t p = 0; p < per_rank; ++p) order_[p] = plan_.dataset_index[plan_.order[p]];
    end_position_ = std::min<int64_t>(per_rank, num_batches_ * options_.batch_size);
    position_of_stream_.assign(plan_.dataset_index.size(), -1);
    last_stream_needed_ = -1;
    for (int64_t p = first_batch * options_.batch_size; p < end_position_; ++p) {
      position_of_stream_[plan_.order[p]] = p;
      last_stream_needed_ = std::max(last_stream_needed_, plan_.order[p]);
    }
    next_shard_ = 0;
    shard_items_.clear();
  } else {
    order_ = epoch_indices(static_cast<int64_t>(index_->samples.size()), epoch, options_.sampler);
    end_position_ =
        std::min<int64_t>(static_cast<int64_t>(order_.size()), num_batches_ * options_.batch_size);
  }
  next_position_ = next_read_position_ = first_batch * options_.batch_size;
  window_start_ = next_batch_ = first_batch;
  read_positions_ = {};
  for (auto& slot : slots_) {  // fences stay: a copy of the last epoch may still be running
    slot.filled = 0;
    slot.released = false;
  }
  error_ = nullptr;
  stats_ = LoaderEpochStats{};
  active_ = true;
  lock.unlock();
  work_cv_.notify_all();
  io_cv_.notify_all();
}

int64_t BatchLoader::window_end_position_locked() const {
  return (window_start_ + static_cast<int64_t>(slots_.size())) * options_.batch_size;
}

bool BatchLoader::has_read_locked() const {
  if (!active_) return false;
  if (shards()) {
    return next_shard_ < plan_.shards.size() &&
           plan_.stream_start[next_shard_] <= last_stream_needed_;
  }
  if (next_read_position_ >= end_position_) return false;
  return next_read_position_ / options_.batch_size <
         window_start_ + static_cast<int64_t>(slots_.size());
}

bool BatchLoader::has_task_locked() const {
  if (!active_) return false;
  // Shards deliver samples out of order, some far ahead: only those in the ring are work.
  if (shards())
    return !read_positions_.empty() && read_positions_.top() < window_end_position_locked();
  if (options_.io_threads > 0) return !read_positions_.empty();
  if (next_position_ >= end_position_) return false;
  return next_position_ / options_.batch_size < window_start_ + static_cast<int64_t>(slots_.size());
}

void BatchLoader::io_main() {
  while (true) {
    int64_t position = 0, generation = 0, dataset_index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      io_cv_.wait(lock, [&] { return stopping_ || has_read_locked(); });
      if (stopping_) return;
      if (shards()) {
        const size_t entry = next_shard_++;
        generation = generation_;
        ++in_flight_;
        lock.unlock();
        read_shard(entry, generation);
        lock.lock();
        --in_flight_;
        idle_cv_.notify_all();
        continue;
      }
      position = next_read_position_++;
      generation = generation_;
      dataset_index = order_[position];
      ++in_flight_;
    }
    // This entry belongs to `position` until its batch is released, which needs it decoded.
    Fetched& fetched = fetched_[position % fetched_.size()];
    fetched.error.clear();
    int retries = 0;
    try {
      retries = read_file_with_retries(index_->samples[dataset_index].path, fetched.bytes,
                                       options_.read_policy);
    } catch (const std::exception& e) {
      fetched.error = e.what();
      if (fetched.error.empty()) fetched.error = "unreadable";
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_flight_;
      if (generation == generation_) {
        read_positions_.push(position);
        stats_.read_retries += retries;
      }
    }
    work_cv_.notify_one();
    idle_cv_.notify_all();
  }
}

void BatchLoader::read_shard(size_t entry, int64_t generation) {
  const ShardInfo& shard = index_->shards[plan_.shards[entry]];
  const int64_t first = plan_.stream_start[entry];
  int64_t k = 0;  // samples of this shard delivered
  std::string failure;
  try {
    TarReader reader(shard.path, options_.read_policy);
    TarMember member;
    std::string key, current_key, extension;
    Fetched sample;
    std::string label_text;
    bool have_image = false;
    // A sample is complete when the next key starts (or the archive ends).
    auto deliver = [&]() -> bool {
      if (!have_image) {
        sample.error = "no image in the sample (" + current_key + ")";
      } else if (!label_text.empty() &&
                 str_trim(label_text) !=
                     std::to_string(index_->samples[shard.first_sample + k].label)) {
        sample.error =
            str_cat(current_key, ".cls says ", str_trim(label_text), ", the shard index says ",
                    index_->samples[shard.first_sample + k].label);
      }
      const bool go_on =
          k < shard.samples && deliver_shard_sample(first + k, generation, std::move(sample));
      ++k;
      sample = Fetched{};
      label_text.clear();
      have_image = false;
      return go_on;
    };
    while (reader.next(&member)) {
      split_sample_name(member.name, &key, &extension);
      if (key != current_key && !current_key.empty() && !deliver()) return;
      current_key = key;
      if (extension == "cls") {
        label_text.assign(member.data.begin(), member.data.end());
      } else if (extension == "jpg" || extension == "jpeg" || extension == "png") {
        sample.bytes = std::move(member.data);
        have_image = true;
      }
    }
    if (!current_key.empty() && !deliver()) return;
    if (k != shard.samples)
      failure = str_cat("holds ", k, " samples, the shard index says ", shard.samples);
  } catch (const DecodeError& e) {
    failure = e.what();
  }
  // Samples the shard failed to give are bad samples, each counted and replaced.
  for (; k < shard.samples; ++k) {
    Fetched bad;
    bad.error = str_cat(shard.path, ": ", failure);
    if (!deliver_shard_sample(first + k, generation, std::move(bad))) return;
  }
}

bool BatchLoader::deliver_shard_sample(int64_t stream_index, int64_t generation, Fetched item) {
  if (stream_index > last_stream_needed_) return false;  // the rest is not needed this epoch
  std::unique_lock<std::mutex> lock(mutex_);
  // Memory stays bounded: a sample the shuffle buffer emits at position p entered the stream
  // at most shuffle_buffer samples after p, so reading never runs further ahead than that.
  const int64_t buffer = options_.sampler.shuffle ? options_.shuffle_buffer : 0;
  io_cv_.wait(lock, [&] {
    return stopping_ || generation != generation_ ||
           stream_index <= window_end_position_locked() + buffer;
  });
  if (stopping_ || generation != generation_) return false;
  const int64_t position = position_of_stream_[stream_index];
  if (position < 0) return true;  // before a resumed epoch's first batch, or past its end
  shard_items_[position] = std::move(item);
  read_positions_.push(position);
  lock.unlock();
  work_cv_.notify_one();
  item_cv_.notify_all();
  return true;
}

const BatchLoader::Fetched* BatchLoader::wait_for_item(int64_t position, int64_t generation) {
  std::unique_lock<std::mutex> lock(mutex_);
  item_cv_.wait(lock, [&] {
    return stopping_ || generation != generation_ || shard_items_.count(position) > 0;
  });
  if (stopping_ || generation != generation_) return nullptr;
  return &shard_items_[position];  // stays put until the batch is released
}

void BatchLoader::worker_main() {
  ImageDecoder decoder;
  std::vector<uint8_t> file;
  DecodedImage decoded;
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || has_task_locked(); });
      if (stopping_) return;
      if (options_.io_threads > 0) {
        task.position = read_positions_.top();
        read_positions_.pop();
        task.prefetched = true;
        if (shards()) task.item = &shard_items_[task.position];
      } else {
        task.position = next_position_++;
      }
      task.generation = generation_;
      ++in_flight_;
    }
    std::exception_ptr failure;
    double busy = 0;  // decoding and resizing, not waiting for reads
    try {
      busy = load_task(task, decoder, file, decoded);
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
      }
    }
    ready_cv_.notify_all();
    idle_cv_.notify_all();
  }
}

double BatchLoader::load_task(const Task& task, ImageDecoder& decoder, std::vector<uint8_t>& file,
                              DecodedImage& decoded) {
  Slot& slot = slot_of(task.position);
  const int in_batch = static_cast<int>(task.position % options_.batch_size);

  // An unreadable image is replaced by another one, chosen deterministically from its index,
  // so the batch keeps its size and the run stays reproducible.
  int64_t dataset_index = order_[task.position];
  const int64_t n = static_cast<int64_t>(index_->samples.size());
  const Fetched* item = task.item;
  for (int attempt = 0; attempt <= kMaxSubstitutes; ++attempt) {
    try {
      const std::vector<uint8_t>* bytes = &file;
      if (shards()) {
        if (item == nullptr) return 0;  // a new epoch started: this result is dropped anyway
        if (!item->error.empty()) throw DecodeError(item->error);
        bytes = &item->bytes;
      } else if (attempt == 0 && task.prefetched) {
        const Fetched& fetched = fetched_[task.position % fetched_.size()];
        if (!fetched.error.empty()) throw DecodeError(fetched.error);
        bytes = &fetched.bytes;
      } else {
        read_sample(dataset_index, file);
      }
      const auto start = std::chrono::steady_clock::now();
      load_sample(dataset_index, *bytes, decoder, decoded, slot, in_batch);
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } catch (const DecodeError& e) {
      record_bad_sample(dataset_index, e.what());
      const uint64_t draw = derive_seed(options_.sampler.seed, static_cast<uint64_t>(dataset_index),
                                        static_cast<uint64_t>(attempt));
      if (shards()) {
        // Only samples of the ring are in memory: another one of the same batch stands in.
        const int64_t batch_start = task.position / options_.batch_size * options_.batch_size;
        const int64_t size = batch_size_of(task.position / options_.batch_size);
        const int64_t other =
            batch_start + static_cast<int64_t>(draw % static_cast<uint64_t>(size));
        item = wait_for_item(other, task.generation);
        dataset_index = order_[other];
      } else {
        dataset_index = static_cast<int64_t>(draw % static_cast<uint64_t>(n));
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

void BatchLoader::read_sample(int64_t dataset_index, std::vector<uint8_t>& file) {
  const int retries =
      read_file_with_retries(index_->samples[dataset_index].path, file, options_.read_policy);
  if (retries > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.read_retries += retries;
  }
}

void BatchLoader::load_sample(int64_t dataset_index, const std::vector<uint8_t>& file,
                              ImageDecoder& decoder, DecodedImage& decoded, Slot& slot,
                              int in_batch) {
  const SampleTransform& t = options_.transform;
  ImageInfo info = decoder.read_info(file.data(), file.size());
  Rng rng(derive_seed(options_.sampler.seed, static_cast<uint64_t>(epoch_),
                      static_cast<uint64_t>(dataset_index)));
  CropWindow window =
      t.random_crop
          ? sample_random_resized_crop(info.width, info.height, t.crop_scale, t.crop_ratio, rng)
          : center_crop_window(info.width, info.height, t.size, t.val_crop_ratio);
  const bool flip = t.random_crop && rng.bernoulli(t.hflip_prob);
  decoder.decode(file.data(), file.size(), window, t.size, t.size, &decoded);
  // Only now write into the slot: a copy of its previous batch may have been running.
  wait_for_fence(slot);
  resize_crop_into(decoded, t.size, t.size, flip,
                   slot.images + static_cast<size_t>(in_batch) * t.size * t.size * 3);
  slot.labels[in_batch] = index_->samples[dataset_index].label;
}

void BatchLoader::wait_for_fence(Slot& slot) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (slot.fence) {
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
      return;
    }
    if (!slot.fence_running) return;
    idle_cv_.wait(lock);
  }
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

  auto batch = new Batch;
  batch->epoch = epoch_;
  batch->index = batch_index;
  batch->size = size;
  batch->height = batch->width = options_.transform.size;
  batch->images = slot.images;
  batch->labels = slot.labels;
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
           p < (window_start_ + 1) * options_.batch_size && !shard_items_.empty(); ++p)
        shard_items_.erase(p);
      ++window_start_;
    }
  }
  work_cv_.notify_all();
  io_cv_.notify_all();
}

LoaderEpochStats BatchLoader::epoch_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace imagenet
