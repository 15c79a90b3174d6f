// The batch loader: worker threads decode and augment the samples of a SampleSource (image files
// read by I/O threads, tar shards streamed through a shuffle buffer; data/sample_source.h)
// straight into a ring of uint8 NHWC batch buffers, prefetch_batches ahead of the training
// step. Every sample's randomness is seeded by (seed, epoch, dataset index), so the batches are
// the same whatever the number of threads and whichever thread takes which image.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "imagenet/data/auto_augment.h"
#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/data/random_erasing.h"
#include "imagenet/data/sample_source.h"
#include "imagenet/data/sampler.h"
#include "imagenet/data/shards.h"
#include "imagenet/s3/aws_config.h"

namespace imagenet {

class ImageDecoder;
struct DecodedImage;

/// What happens to one image between its file and its slot in the batch. Training:
/// RandomResizedCrop, random horizontal flip, `augment`'s ops, random erasing, in that order (as
/// torchvision's and timm's training transforms), every draw from the sample's Rng.
/// Validation: resize and center crop.
struct SampleTransform {
  /// true: the training transform; false: resize + center crop.
  bool random_crop = true;
  int size = 224;
  std::array<double, 2> crop_scale{0.08, 1.0};
  std::array<double, 2> crop_ratio{3.0 / 4.0, 4.0 / 3.0};
  double hflip_prob = 0.5;
  /// The training crop's resize filter.
  Interpolation interpolation = Interpolation::kBilinear;
  AugmentPolicy augment;
  RandomErasingOptions erasing;  ///< probability 0: off
  double val_crop_ratio = 0.875;
  /// Validation's shorter side before the center crop; 0: size / val_crop_ratio.
  int val_resize = 0;
};

/// Allocates batch buffers; empty functions mean plain heap memory. The trainer passes
/// page-locked memory when batches are copied to a GPU.
struct BufferAllocator {
  std::function<void*(size_t)> allocate;
  std::function<void(void*)> release;
};

struct LoaderOptions {
  std::string name = "train";  ///< used in messages
  int batch_size = 256;
  /// Threads that decode and augment.
  int num_workers = 4;
  /// Threads that only read files, so that many reads are in flight; 0: the workers read.
  /// With shards, each reads one shard at a time (at least one is used, at most 8).
  int io_threads = 0;
  ReadPolicy read_policy;
  /// Batches prepared ahead of the one being consumed; the ring holds prefetch_batches + 1.
  /// Reads run at most this far ahead too, which bounds the memory they hold.
  int prefetch_batches = 2;
  /// Shards only: samples held to shuffle the stream (a WebDataset-style shuffle buffer).
  int shuffle_buffer = 1024;
  /// An s3:// dataset: where the store is, and GETs in flight (s3_* keys).
  S3SettingsRequest s3;
  int s3_requests = 128;
  SamplerOptions sampler;
  SampleTransform transform;
  /// Batches per epoch at most (0: all).
  int64_t max_batches = 0;
  /// Stop with an error when more than this fraction of an epoch's images are unreadable.
  double max_bad_fraction = 0.001;
  /// Images claiming more pixels are bad samples (ImageDecoder's limit).
  int64_t max_image_pixels = 89'478'485;
  BufferAllocator allocator;
};

/// One batch, valid until its shared_ptr is released (the loader then reuses the memory).
struct Batch {
  int64_t epoch = 0;
  int64_t index = 0;  ///< batch number within the epoch
  int size = 0;       ///< images in this batch (the last validation batch may be short)
  int height = 0;
  int width = 0;
  uint8_t* images = nullptr;        ///< [size, height, width, 3] uint8 RGB (NHWC, packed)
  const int64_t* labels = nullptr;  ///< [size], in the same buffer as the images
};

struct LoaderEpochStats {
  int64_t samples = 0;        ///< images loaded so far this epoch (substitutes included)
  int64_t bad_samples = 0;    ///< unreadable images replaced by others
  int64_t read_retries = 0;   ///< reads that failed and were tried again
  double decode_seconds = 0;  ///< time the workers spent decoding and resizing, summed
  std::vector<std::string> bad_examples;  ///< "path: reason" of the first few
};

/// Batches per epoch of a dataset of `dataset_size` images on this rank, before max_batches.
int64_t batches_per_epoch(int64_t dataset_size, const LoaderOptions& options);

/// Batches per epoch of `index` on this rank (shards included), before max_batches.
int64_t batches_per_epoch(const DatasetIndex& index, const LoaderOptions& options);

class BatchLoader : private SampleSink {
 public:
  /// Reads through the source `make_source` makes (tests, a source the index does not choose),
  /// by default make_sample_source(index, options). Threads start here and wait for an epoch.
  BatchLoader(std::shared_ptr<const DatasetIndex> index, LoaderOptions options,
              const SampleSourceFactory& make_source = nullptr);
  /// Stops the threads. Every Batch handed out must have been released before.
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  /// Batches per epoch on this rank (after drop_last and max_batches).
  int64_t num_batches() const { return num_batches_; }
  /// Images per epoch on this rank (after drop_last and max_batches).
  int64_t samples_per_epoch() const;
  const DatasetIndex& index() const { return *index_; }
  const LoaderOptions& options() const { return options_; }

  /// Starts loading `epoch` at batch `first_batch` (resuming mid-epoch). Whatever of the
  /// previous epoch was not consumed is dropped. No Batch may be outstanding.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);

  /// The next batch of the epoch, in order, or nullptr after the last one. Blocks until it is
  /// ready. Rethrows a loader thread's failure; unreadable images are replaced, not thrown.
  std::shared_ptr<const Batch> next();

  /// Releases `batch` now, but its memory is refilled only once `wait_until_free` has returned:
  /// for a copy to a GPU that is still running when the host lets go of the batch. The
  /// function is called at most once, by a loader thread (or at destruction).
  void release_after(std::shared_ptr<const Batch> batch, std::function<void()> wait_until_free);

  LoaderEpochStats epoch_stats() const;

 private:
  struct Slot {
    uint8_t* memory = nullptr;  // images, then labels
    uint8_t* images = nullptr;
    int64_t* labels = nullptr;
    int filled = 0;
    bool released = false;
    std::function<void()> fence;  // to call before writing into this slot again
    bool fence_running = false;
  };
  struct Task {
    int64_t position = 0;  ///< position in this epoch's order
    int64_t generation = 0;
    const SampleBytes* sample = nullptr;  ///< delivered bytes; nullptr: the worker reads them
  };

  // SampleSink, for the source's threads (see data/sample_source.h).
  Claim claim(int64_t generation, bool wait, SampleClaim* claim) override;
  bool wait_for_window(int64_t generation, int64_t end) override;
  void deliver(int64_t generation, int64_t position, SampleBytes sample) override;
  void fail(int64_t generation, std::exception_ptr error) override;
  std::vector<uint8_t> recycled_buffer() override;

  void worker_main();
  bool has_task_locked() const;
  /// A source may deliver ahead of the ring (shards, through the shuffle buffer): only the
  /// ring's samples are work.
  bool delivered_task_locked() const {
    return !delivered_.empty() && delivered_.top() < window_end_locked();
  }
  int64_t window_end_locked() const {
    return (window_start_ + static_cast<int64_t>(slots_.size())) * options_.batch_size;
  }
  bool claimable_locked() const {
    return next_claim_ < end_position_ && next_claim_ < window_end_locked();
  }
  Slot& slot_of(int64_t position) {
    return slots_[(position / options_.batch_size) % slots_.size()];
  }
  /// Loads one position (with stand-ins for bad images); returns the seconds spent decoding
  /// and adds the retries of the reads it made to *retries.
  /// A worker's reusable memory.
  struct WorkerScratch {
    SampleBytes read;  // what the worker reads itself
    DecodedImage* decoded = nullptr;
    std::vector<uint8_t> augment;  // apply_augment_ops' scratch
  };
  double load_task(const Task& task, ImageDecoder& decoder, WorkerScratch& scratch, int* retries);
  void load_sample(int64_t dataset_index, int copy, const std::vector<uint8_t>& file,
                   ImageDecoder& decoder, WorkerScratch& scratch, Slot& slot, int in_batch);
  const SampleBytes* wait_for_sample(int64_t position, int64_t generation);
  void wait_for_fence(Slot& slot);
  void record_bad_sample(int64_t dataset_index, const std::string& reason);
  void recycle_locked(std::vector<uint8_t>&& bytes);
  void release(int64_t batch_index);
  int batch_size_of(int64_t batch) const;

  std::shared_ptr<const DatasetIndex> index_;
  LoaderOptions options_;
  size_t image_bytes_ = 0;  // per batch
  int64_t num_batches_ = 0;
  bool reads_in_workers_ = false;  // the source has no threads: workers claim and read

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;    // workers wait for tasks
  std::condition_variable read_cv_;    // the source's threads wait for room in the window
  std::condition_variable ready_cv_;   // the consumer waits for a full batch
  std::condition_variable idle_cv_;    // start_epoch waits for in-flight tasks; fences finish
  std::condition_variable sample_cv_;  // a worker waits for a stand-in's bytes
  std::vector<Slot> slots_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  bool active_ = false;  // the epoch of generation_ is set up
  int64_t generation_ = 0;
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;  // this epoch's dataset indices on this rank
  int64_t end_position_ = 0;    // positions [first, end) are loaded this epoch
  int64_t next_claim_ = 0;      // next position to read, for sources that read by position
  // Delivered samples by position, kept until their batch is released (a stand-in may need
  // them), and those not yet decoded, smallest first: workers take them in this order.
  std::unordered_map<int64_t, SampleBytes> samples_;
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<int64_t>> delivered_;
  std::vector<std::vector<uint8_t>> spare_buffers_;  // of released samples, for recycled_buffer
  int64_t window_start_ = 0;                         // oldest batch not yet released
  int64_t next_batch_ = 0;                           // next batch next() hands out
  int in_flight_ = 0;                                // decodes under way
  int outstanding_ = 0;                              // batches handed out and not released
  std::exception_ptr error_;
  LoaderEpochStats stats_;
  std::unique_ptr<SampleSource> source_;  // last: destroyed first, while the rest is alive
};

}  // namespace imagenet
