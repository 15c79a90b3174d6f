// Implements data/batch_loader.h. Workers take one image at a time in epoch order, so all of
// them fill the oldest unfinished batch together; the consumer waits for that batch only.
#include "imagenet/data/batch_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "imagenet/data/crop.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

constexpr int kMaxSubstitutes = 16;
constexpr size_t kMaxBadExamples = 10;

/// Reads a whole file into `buffer`; throws DecodeError (a bad sample) on failure.
void read_file_into(const std::string& path, std::vector<uint8_t>& buffer) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DecodeError(str_cat("cannot open: ", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    throw DecodeError(str_cat("cannot stat: ", std::strerror(saved)));
  }
  buffer.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      throw DecodeError(n == 0 ? std::string("file shrank while reading")
                               : str_cat("read failed: ", std::strerror(saved)));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace

int64_t batches_per_epoch(int64_t dataset_size, const LoaderOptions& options) {
  // The sampler's share for this rank: floor or ceil of size / world (drop_last or padding).
  const int64_t world = options.sampler.world_size;
  const int64_t n =
      options.sampler.drop_last ? dataset_size / world : (dataset_size + world - 1) / world;
  return options.sampler.drop_last ? n / options.batch_size
                                   : (n + options.batch_size - 1) / options.batch_size;
}

BatchLoader::BatchLoader(std::shared_ptr<const DatasetIndex> index, LoaderOptions options)
    : index_(std::move(index)), options_(std::move(options)) {
  IMAGENET_CHECK(index_ && !index_->samples.empty(), "the ", options_.name, " dataset is empty");
  IMAGENET_CHECK(options_.batch_size > 0, "batch_size must be positive");
  const int size = options_.transform.size;
  batch_bytes_ = static_cast<size_t>(options_.batch_size) * size * size * 3;

  num_batches_ = batches_per_epoch(static_cast<int64_t>(index_->samples.size()), options_);
  if (options_.max_batches > 0) num_batches_ = std::min(num_batches_, options_.max_batches);
  if (num_batches_ == 0)
    throw UsageError(str_cat("the ", options_.name, " set has ", index_->samples.size(),
                             " images (", options_.sampler.world_size,
                             " processes), fewer than one batch of ", options_.batch_size,
                             " per process. Lower batch_size."));

  const int ring = std::max(1, options_.prefetch_batches) + 1;
  slots_.resize(ring);
  for (auto& slot : slots_) {
    slot.images = static_cast<uint8_t*>(options_.allocator.allocate
                                            ? options_.allocator.allocate(batch_bytes_)
                                            : ::operator new(batch_bytes_));
    slot.labels.assign(options_.batch_size, 0);
  }
  const int threads = std::max(1, options_.num_workers);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_main(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  for (auto& slot : slots_) {
    if (options_.allocator.release) {
      options_.allocator.release(slot.images);
    } else {
      ::operator delete(slot.images);
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
  idle_cv_.wait(lock, [&] { return in_flight_ == 0; });

  epoch_ = epoch;
  order_ = epoch_indices(static_cast<int64_t>(index_->samples.size()), epoch, options_.sampler);
  end_position_ =
      std::min<int64_t>(static_cast<int64_t>(order_.size()), num_batches_ * options_.batch_size);
  first_batch = std::clamp<int64_t>(first_batch, 0, num_batches_);
  next_position_ = first_batch * options_.batch_size;
  window_start_ = next_batch_ = first_batch;
  for (auto& slot : slots_) {
    slot.filled = 0;
    slot.released = false;
  }
  error_ = nullptr;
  stats_ = LoaderEpochStats{};
  active_ = true;
  lock.unlock();
  work_cv_.notify_all();
}

bool BatchLoader::has_task_locked() const {
  if (!active_ || next_position_ >= end_position_) return false;
  int64_t batch = next_position_ / options_.batch_size;
  return batch < window_start_ + static_cast<int64_t>(slots_.size());
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
      task.position = next_position_++;
      task.generation = generation_;
      ++in_flight_;
    }
    std::exception_ptr failure;
    try {
      load_task(task, decoder, file, decoded);
    } catch (...) {
      failure = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_flight_;
      if (task.generation == generation_) {
        if (failure && !error_) error_ = failure;
        Slot& slot = slots_[(task.position / options_.batch_size) % slots_.size()];
        ++slot.filled;
        ++stats_.samples;
      }
    }
    ready_cv_.notify_all();
    idle_cv_.notify_all();
  }
}

void BatchLoader::load_task(const Task& task, ImageDecoder& decoder, std::vector<uint8_t>& file,
                            DecodedImage& decoded) {
  const int64_t batch = task.position / options_.batch_size;
  const int64_t slot_index = batch % static_cast<int64_t>(slots_.size());
  const int in_batch = static_cast<int>(task.position % options_.batch_size);
  const int size = options_.transform.size;
  Slot& slot = slots_[slot_index];
  uint8_t* dst = slot.images + static_cast<size_t>(in_batch) * size * size * 3;

  // An unreadable image is replaced by another one, chosen deterministically from its index,
  // so the batch keeps its size and the run stays reproducible.
  int64_t dataset_index = order_[task.position];
  const int64_t n = static_cast<int64_t>(index_->samples.size());
  for (int attempt = 0; attempt <= kMaxSubstitutes; ++attempt) {
    try {
      load_sample(dataset_index, epoch_, decoder, file, decoded, dst);
      slot.labels[in_batch] = index_->samples[dataset_index].label;
      return;
    } catch (const DecodeError& e) {
      record_bad_sample(dataset_index, e.what());
      dataset_index = static_cast<int64_t>(derive_seed(options_.sampler.seed,
                                                       static_cast<uint64_t>(dataset_index),
                                                       static_cast<uint64_t>(attempt)) %
                                           static_cast<uint64_t>(n));
    }
  }
  throw RuntimeError(str_cat(kMaxSubstitutes + 1, " images in a row could not be read near ",
                             index_->samples[order_[task.position]].path,
                             ". Is the data folder readable?"));
}

void BatchLoader::load_sample(int64_t dataset_index, int64_t epoch, ImageDecoder& decoder,
                              std::vector<uint8_t>& file, DecodedImage& decoded, uint8_t* dst) {
  const std::string& path = index_->samples[dataset_index].path;
  const SampleTransform& t = options_.transform;
  read_file_into(path, file);
  ImageInfo info = decoder.read_info(file.data(), file.size());
  Rng rng(derive_seed(options_.sampler.seed, static_cast<uint64_t>(epoch),
                      static_cast<uint64_t>(dataset_index)));
  CropWindow window =
      t.random_crop
          ? sample_random_resized_crop(info.width, info.height, t.crop_scale, t.crop_ratio, rng)
          : center_crop_window(info.width, info.height, t.size, t.val_crop_ratio);
  const bool flip = t.random_crop && rng.bernoulli(t.hflip_prob);
  decoder.decode(file.data(), file.size(), window, t.size, t.size, &decoded);
  resize_crop_into(decoded, t.size, t.size, flip, dst);
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
  batch->labels = slot.labels.data();
  return std::shared_ptr<const Batch>(batch, [this](const Batch* b) {
    release(b->index);
    delete b;
  });
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
      ++window_start_;
    }
  }
  work_cv_.notify_all();
}

LoaderEpochStats BatchLoader::epoch_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace imagenet
