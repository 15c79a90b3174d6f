// Tests data/batch_loader: determinism across worker and I/O thread counts, mid-epoch restart,
// validation batches, unreadable images being counted and replaced, and release fences.
#include "imagenet/data/batch_loader.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "imagenet/data/image_decoder.h"
#include "imagenet/data/prepare.h"
#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;

struct LoadedBatch {
  std::vector<uint8_t> images;
  std::vector<int64_t> labels;
};

std::shared_ptr<DatasetIndex> make_dataset(const TempDir& dir, const std::string& split,
                                           int png_every = 0) {
  SyntheticOptions o;
  o.out_dir = dir.path();
  o.classes = 3;
  o.train_per_class = 10;
  o.val_per_class = 3;
  o.png_every = png_every;
  prepare_synthetic(o);
  auto index = std::make_shared<DatasetIndex>();
  *index = scan_image_folder(dir.file(split), list_class_folders(dir.file("train")));
  return index;
}

LoaderOptions train_options(int workers, int io_threads = 0) {
  LoaderOptions o;
  o.io_threads = io_threads;
  o.batch_size = 4;
  o.num_workers = workers;
  o.prefetch_batches = 2;
  o.sampler.seed = 11;
  o.sampler.shuffle = true;
  o.sampler.drop_last = true;
  o.transform.size = 32;
  return o;
}

std::vector<LoadedBatch> load_epoch(BatchLoader& loader, int64_t epoch, int64_t first = 0) {
  loader.start_epoch(epoch, first);
  std::vector<LoadedBatch> out;
  while (auto batch = loader.next()) {
    size_t bytes = static_cast<size_t>(batch->size) * batch->height * batch->width * 3;
    out.push_back({std::vector<uint8_t>(batch->images, batch->images + bytes),
                   std::vector<int64_t>(batch->labels, batch->labels + batch->size)});
  }
  return out;
}

TEST(BatchLoader, SameBatchesWhateverTheNumberOfWorkers) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  BatchLoader one(index, train_options(1));
  BatchLoader three(index, train_options(3));
  EXPECT_EQ(one.num_batches(), 7);  // 30 images, batches of 4, last 2 dropped
  for (int64_t epoch : {0, 1}) {
    auto a = load_epoch(one, epoch);
    auto b = load_epoch(three, epoch);
    ASSERT_EQ(a.size(), 7u);
    ASSERT_EQ(b.size(), 7u);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].labels, b[i].labels) << "epoch " << epoch << " batch " << i;
      EXPECT_TRUE(a[i].images == b[i].images) << "epoch " << epoch << " batch " << i;
    }
  }
}

TEST(BatchLoader, AugmentationIsSeededPerSampleAndRestartsMidEpoch) {
  // TrivialAugment, erasing and repeated augmentation on the workers: the same pixels with
  // 1 or 3 workers and after a mid-epoch restart, other pixels than without them.
  TempDir dir;
  auto index = make_dataset(dir, "train");
  LoaderOptions o = train_options(1);
  o.transform.augment = parse_augment_policy("ta_wide", Interpolation::kBicubic);
  o.transform.interpolation = Interpolation::kBicubic;
  o.transform.erasing.probability = 0.5;
  o.transform.erasing.max_count = 2;
  o.sampler.aug_repeats = 3;
  LoaderOptions three = o;
  three.num_workers = 3;
  BatchLoader one_worker(index, o), three_workers(index, three), plain(index, train_options(1));
  auto a = load_epoch(one_worker, 1);
  auto b = load_epoch(three_workers, 1);
  auto later = load_epoch(three_workers, 1, 4);
  auto unaugmented = load_epoch(plain, 1);
  ASSERT_EQ(a.size(), 7u);  // repeated augmentation keeps the epoch's length
  ASSERT_EQ(later.size(), 3u);
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].labels, b[i].labels) << "batch " << i;
    EXPECT_TRUE(a[i].images == b[i].images) << "batch " << i;
    if (i >= 4) EXPECT_TRUE(a[i].images == later[i - 4].images) << "batch " << i;
    differ += a[i].images != unaugmented[i].images;
  }
  EXPECT_EQ(differ, 7);
}

TEST(BatchLoader, IoThreadsAndInjectedLatencyChangeNothingButTheTiming) {
  TempDir dir;
  auto index = make_dataset(dir, "train", /*png_every=*/4);
  BatchLoader workers_read(index, train_options(2, 0));
  LoaderOptions slow = train_options(3, 5);
  slow.read_policy.injected_latency_seconds = 0.002;
  BatchLoader io_read(index, slow);
  for (int64_t epoch : {0, 1}) {
    auto a = load_epoch(workers_read, epoch);
    auto b = load_epoch(io_read, epoch);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].labels, b[i].labels) << "epoch " << epoch << " batch " << i;
      EXPECT_TRUE(a[i].images == b[i].images) << "epoch " << epoch << " batch " << i;
    }
  }
  // Mid-epoch restart with reads in flight.
  io_read.start_epoch(0);
  { auto first = io_read.next(); }
  auto tail = load_epoch(io_read, 1, 2);
  auto full = load_epoch(workers_read, 1);
  ASSERT_EQ(tail.size(), full.size() - 2);
  EXPECT_TRUE(tail[0].images == full[2].images);
}

TEST(BatchLoader, ASlotIsRefilledOnlyAfterItsReleaseFence) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  LoaderOptions o = train_options(2, 2);
  o.prefetch_batches = 1;  // a ring of 2 slots: batch 2 reuses batch 0's memory
  BatchLoader loader(index, o);
  loader.start_epoch(0);
  std::atomic<bool> copy_done{false};
  std::atomic<int> fence_calls{0};
  auto batch0 = loader.next();
  std::vector<uint8_t> pixels0(batch0->images, batch0->images + batch0->size * 32 * 32 * 3);
  const uint8_t* memory0 = batch0->images;
  // A "copy" that takes 200 ms: the loader must not write into the slot before it ends.
  loader.release_after(std::move(batch0), [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(std::equal(pixels0.begin(), pixels0.end(), memory0)) << "overwritten early";
    copy_done = true;
    ++fence_calls;
  });
  auto batch1 = loader.next();
  batch1.reset();
  auto batch2 = loader.next();
  EXPECT_EQ(batch2->images, memory0);
  EXPECT_TRUE(copy_done.load());
  EXPECT_EQ(fence_calls.load(), 1);
}

TEST(BatchLoader, AFailureInALoaderThreadReachesNextNamingTheFile) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  LoaderOptions o = train_options(2, 2);
  o.prefetch_batches = 1;
  BatchLoader loader(index, o);
  loader.start_epoch(0);
  // A copy "failed" (as a CUDA error would): the worker refilling the slot meets it.
  loader.release_after(loader.next(), [] { throw std::runtime_error("copy failed"); });
  try {
    while (auto batch = loader.next()) {
    }
    FAIL() << "expected the failure to reach next()";
  } catch (const RuntimeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("copy failed"), std::string::npos) << message;
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;  // the file's path
  }
}

TEST(BatchLoader, EpochsDifferAndRestartMidEpochContinuesTheSameOrder) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  BatchLoader loader(index, train_options(2));
  auto epoch0 = load_epoch(loader, 0);
  auto epoch1 = load_epoch(loader, 1);
  EXPECT_FALSE(epoch0[0].images == epoch1[0].images);
  auto tail = load_epoch(loader, 1, /*first=*/3);
  ASSERT_EQ(tail.size(), 4u);
  for (size_t i = 0; i < tail.size(); ++i) EXPECT_TRUE(tail[i].images == epoch1[i + 3].images);
}

TEST(BatchLoader, AbandoningAnEpochEarlyIsSafe) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  BatchLoader loader(index, train_options(3));
  loader.start_epoch(0);
  { auto first = loader.next(); }
  auto full = load_epoch(loader, 0);  // restarts while workers were still filling the ring
  BatchLoader fresh(index, train_options(1));
  auto expected = load_epoch(fresh, 0);
  ASSERT_EQ(full.size(), expected.size());
  for (size_t i = 0; i < full.size(); ++i) EXPECT_TRUE(full[i].images == expected[i].images);
}

TEST(BatchLoader, ValidationKeepsEveryImageInOrder) {
  TempDir dir;
  auto index = make_dataset(dir, "val", /*png_every=*/2);
  LoaderOptions o = train_options(2);
  o.sampler.shuffle = false;
  o.sampler.drop_last = false;
  o.transform.random_crop = false;
  BatchLoader loader(index, o);
  auto batches = load_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);  // 9 images: 4 + 4 + 1
  EXPECT_EQ(batches[2].labels.size(), 1u);
  std::vector<int64_t> labels;
  for (auto& b : batches) labels.insert(labels.end(), b.labels.begin(), b.labels.end());
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  // Validation has no randomness: another epoch gives the same pixels.
  auto again = load_epoch(loader, 5);
  EXPECT_TRUE(again[0].images == batches[0].images);
}

TEST(BatchLoader, UnreadableImagesAreCountedAndReplacedWithIoThreadsToo) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  testing::write_text(index->samples[3].path, "");
  ::unlink(index->samples[7].path.c_str());  // deleted after the index was made
  LoaderOptions o = train_options(2, 4);
  o.max_bad_fraction = 0.5;
  o.read_policy.retries = 1;
  BatchLoader loader(index, o);
  auto batches = load_epoch(loader, 0);
  for (auto& b : batches) EXPECT_EQ(b.labels.size(), 4u);
  LoaderEpochStats stats = loader.epoch_stats();
  EXPECT_GE(stats.bad_samples, 1);
  EXPECT_EQ(stats.read_retries, 0);  // a missing file is not retried
  bool named = false;
  for (const auto& e : stats.bad_examples)
    named |= e.find(index->samples[7].path) != std::string::npos &&
             e.find("No such file") != std::string::npos;
  // Sample 7 may be among the 2 dropped by drop_last; then sample 3 was the bad one.
  if (stats.bad_samples == 2) {
    EXPECT_TRUE(named);
  }
}

TEST(BatchLoader, UnreadableImagesAreCountedAndReplaced) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  // A truncated JPEG, an empty file and a text file posing as an image.
  {
    FILE* f = std::fopen(index->samples[0].path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(::ftruncate(fileno(f), 200), 0);
    std::fclose(f);
  }
  testing::write_text(index->samples[5].path, "");
  testing::write_text(index->samples[12].path, "not an image at all");
  LoaderOptions o = train_options(2);
  o.max_bad_fraction = 0.5;
  BatchLoader loader(index, o);
  auto batches = load_epoch(loader, 0);
  EXPECT_EQ(batches.size(), 7u);
  for (auto& b : batches) EXPECT_EQ(b.labels.size(), 4u);
  LoaderEpochStats stats = loader.epoch_stats();
  EXPECT_GE(stats.bad_samples, 2);  // those of the 28 loaded images (2 are dropped)
  EXPECT_LE(stats.bad_samples, 3);
  ASSERT_FALSE(stats.bad_examples.empty());

  // With no tolerance the run stops, naming a file.
  o.max_bad_fraction = 0.0;
  BatchLoader strict(index, o);
  try {
    load_epoch(strict, 0);
    FAIL() << "expected RuntimeError";
  } catch (const RuntimeError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("could not be read"), std::string::npos) << message;
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;
  }
}

TEST(BatchLoader, MaxImagePixelsReachesTheDecoder) {
  TempDir dir;
  auto index = make_dataset(dir, "train");
  LoaderOptions o = train_options(2);
  EXPECT_EQ(o.max_image_pixels, kDefaultMaxImagePixels);
  o.max_bad_fraction = 1.0;
  o.max_image_pixels = 10;  // every test image has more: each one and its stand-ins are bad
  BatchLoader loader(index, o);
  EXPECT_THROW(load_epoch(loader, 0), RuntimeError);
  const LoaderEpochStats stats = loader.epoch_stats();
  ASSERT_FALSE(stats.bad_examples.empty());
  EXPECT_NE(stats.bad_examples[0].find("more than the limit of 10"), std::string::npos)
      << stats.bad_examples[0];
}

}  // namespace
}  // namespace imagenet
