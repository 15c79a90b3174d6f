// Tests data/sample_source: the file and shard sources on their own, against a sink the test
// drives (what they deliver, in what order, how far ahead of the window, across a new epoch),
// and the batch loader with sources of the test's own: one that delivers out of order from an
// event loop, as an S3 source over libcurl's multi interface will, one that fails mid-epoch.
#include "imagenet/data/sample_source.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "imagenet/data/batch_loader.h"
#include "imagenet/data/file_source.h"
#include "imagenet/data/prepare.h"
#include "imagenet/data/shard_source.h"
#include "imagenet/data/shards.h"
#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;

/// The loader's side of the protocol with a read window the test moves by hand, recording what
/// the source delivers. Generation handling as in BatchLoader: begin() makes earlier epochs'
/// calls fail; calls for the new one wait until activate().
class TestSink final : public SampleSink {
 public:
  void begin(int64_t generation) {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_ = generation;
    active_ = false;
    delivered_.clear();
    cv_.notify_all();
  }
  void activate(std::vector<int64_t> order, int64_t first, int64_t end, int64_t window_end) {
    std::lock_guard<std::mutex> lock(mutex_);
    order_ = std::move(order);
    next_claim_ = first;
    end_ = end;
    window_end_ = window_end;
    active_ = true;
    cv_.notify_all();
  }
  void set_window_end(int64_t window_end) {
    std::lock_guard<std::mutex> lock(mutex_);
    window_end_ = window_end;
    cv_.notify_all();
  }
  /// What the loader does before destroying its source: every call returns.
  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  /// Waits until `done(delivered, blocked threads)` holds; false after a minute (a hang).
  bool wait_until(const std::function<bool(const std::map<int64_t, SampleBytes>&, int)>& done) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::minutes(1), [&] { return done(delivered_, blocked_); });
  }
  std::map<int64_t, SampleBytes> delivered() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return delivered_;
  }
  int64_t next_claim() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_claim_;
  }
  int duplicates() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return duplicates_;
  }

  Claim claim(int64_t generation, bool wait, SampleClaim* claim) override {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (stopping_ || generation != generation_) return Claim::kDone;
      if (active_ && next_claim_ >= end_) return Claim::kDone;
      if (active_ && next_claim_ < window_end_) {
        claim->position = next_claim_++;
        claim->dataset_index = order_[claim->position];
        return Claim::kClaimed;
      }
      if (!wait) return Claim::kWindowFull;
      block(lock);
    }
  }
  bool wait_for_window(int64_t generation, int64_t end) override {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (stopping_ || generation != generation_) return false;
      if (active_ && window_end_ >= end) return true;
      block(lock);
    }
  }
  void deliver(int64_t generation, int64_t position, SampleBytes sample) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (generation != generation_) return;  // an abandoned epoch's read, dropped
    if (!delivered_.emplace(position, std::move(sample)).second) ++duplicates_;
    cv_.notify_all();
  }
  void fail(int64_t, std::exception_ptr) override { ADD_FAILURE() << "the source failed"; }
  std::vector<uint8_t> recycled_buffer() override { return {}; }

 private:
  void block(std::unique_lock<std::mutex>& lock) {
    ++blocked_;
    cv_.notify_all();  // the test may be waiting for the source to block
    cv_.wait(lock);
    --blocked_;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool active_ = false;
  int64_t generation_ = 0;
  std::vector<int64_t> order_;
  int64_t next_claim_ = 0, end_ = 0, window_end_ = 0;
  int blocked_ = 0;  // source threads waiting in claim or wait_for_window
  int duplicates_ = 0;
  std::map<int64_t, SampleBytes> delivered_;
};

/// A source and its sink, stopped in the order the loader stops them (also when a test fails).
struct Running {
  TestSink sink;
  std::unique_ptr<SampleSource> source;
  ~Running() {
    sink.stop();
    source.reset();
  }
};

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::vector<uint8_t> bytes;
  read_file_with_retries(path, bytes, {});
  return bytes;
}

SamplerOptions shuffled(uint64_t seed) {
  SamplerOptions s;
  s.shuffle = true;
  s.seed = seed;
  return s;
}

std::shared_ptr<DatasetIndex> folder_dataset(const TempDir& dir) {
  SyntheticOptions o;
  o.out_dir = dir.path();
  o.classes = 3;
  o.train_per_class = 10;
  o.val_per_class = 2;
  prepare_synthetic(o);
  return std::make_shared<DatasetIndex>(
      scan_image_folder(dir.file("train"), list_class_folders(dir.file("train"))));
}

TEST(FileSource, IoThreadsClaimOnlyInsideTheWindowAndDeliverEachFile) {
  TempDir dir;
  auto index = folder_dataset(dir);
  Running run;
  run.source = std::make_unique<FileSource>(index, shuffled(5), ReadPolicy{}, 3, run.sink);
  EXPECT_FALSE(run.source->reads_in_workers());
  run.sink.begin(1);
  std::vector<int64_t> order = run.source->start_epoch({1, 0, 0, 28});
  EXPECT_EQ(order, epoch_indices(30, 0, shuffled(5)));
  ::unlink(index->samples[order[2]].path.c_str());  // deleted after the index was made
  run.sink.activate(order, 0, 28, /*window_end=*/5);

  // The three threads read the window's five positions, then wait for room.
  ASSERT_TRUE(run.sink.wait_until(
      [](const auto& got, int blocked) { return got.size() == 5 && blocked == 3; }));
  EXPECT_EQ(run.sink.next_claim(), 5);
  auto got = run.sink.delivered();
  for (int64_t p = 0; p < 5; ++p) {
    ASSERT_EQ(got.count(p), 1u) << p;
    if (p == 2) {
      EXPECT_NE(got[p].error.find("No such file"), std::string::npos) << got[p].error;
      continue;
    }
    EXPECT_EQ(got[p].error, "");
    EXPECT_EQ(got[p].retries, 0);
    EXPECT_TRUE(got[p].bytes == file_bytes(index->samples[order[p]].path)) << p;
  }
  run.sink.set_window_end(28);
  ASSERT_TRUE(run.sink.wait_until([](const auto& got, int) { return got.size() == 28; }));
  got = run.sink.delivered();
  EXPECT_EQ(got.begin()->first, 0);
  EXPECT_EQ(got.rbegin()->first, 27);  // nothing past max_positions
  EXPECT_EQ(run.sink.duplicates(), 0);
}

TEST(FileSource, WithoutIoThreadsTheWorkersReadAndStandInsAreDrawnFromTheSeed) {
  TempDir dir;
  auto index = folder_dataset(dir);
  Running run;
  run.source = std::make_unique<FileSource>(index, shuffled(5), ReadPolicy{}, 0, run.sink);
  EXPECT_TRUE(run.source->reads_in_workers());
  SampleBytes sample;
  sample.error = "left from before";
  run.source->read(7, &sample);
  EXPECT_EQ(sample.error, "");
  EXPECT_TRUE(sample.bytes == file_bytes(index->samples[7].path));
  ::unlink(index->samples[8].path.c_str());
  run.source->read(8, &sample);
  EXPECT_NE(sample.error.find("No such file"), std::string::npos) << sample.error;

  std::set<int64_t> stand_ins;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const StandIn s = run.source->stand_in(3, 8, attempt, 0, 4);
    EXPECT_EQ(s.position, -1);  // another file, read by index
    EXPECT_EQ(s.dataset_index, run.source->stand_in(3, 8, attempt, 0, 4).dataset_index);
    EXPECT_GE(s.dataset_index, 0);
    EXPECT_LT(s.dataset_index, 30);
    stand_ins.insert(s.dataset_index);
  }
  EXPECT_GT(stand_ins.size(), 1u);  // each attempt draws anew
}

/// A packed copy of a small synthetic dataset: the folders' index and the shards' index.
struct Packed {
  std::shared_ptr<DatasetIndex> folders, shards;
};

Packed packed_dataset(const TempDir& dir) {
  SyntheticOptions data;
  data.out_dir = dir.file("folders");
  data.classes = 3;
  data.train_per_class = 9;
  data.val_per_class = 2;
  prepare_synthetic(data);
  PackOptions pack;
  pack.src = dir.file("folders");
  pack.dst = dir.file("shards");
  pack.shard_bytes = 20 << 10;  // several shards
  pack_dataset(pack);
  Packed p;
  p.folders = std::make_shared<DatasetIndex>(
      scan_image_folder(dir.file("folders/train"), list_class_folders(dir.file("folders/train"))));
  p.shards = std::make_shared<DatasetIndex>(read_shard_index(dir.file("shards/train")));
  return p;
}

TEST(ShardSource, DeliversTheShuffleBuffersOrderAtMostABufferPastTheWindow) {
  TempDir dir;
  Packed data = packed_dataset(dir);
  ASSERT_GE(data.shards->shards.size(), 3u);
  const int buffer = 6;
  Running run;
  run.source =
      std::make_unique<ShardSource>(data.shards, shuffled(9), ReadPolicy{}, 1, buffer, run.sink);
  run.sink.begin(1);
  std::vector<int64_t> order = run.source->start_epoch({1, 3, 0, 27});
  const ShardEpochPlan plan = plan_shard_epoch(*data.shards, 3, shuffled(9), buffer, 27);
  ASSERT_EQ(order.size(), 27u);
  for (size_t p = 0; p < order.size(); ++p) EXPECT_EQ(order[p], plan.dataset_index[plan.order[p]]);
  const int64_t window_end = 5;
  run.sink.activate(order, 0, 27, window_end);

  // The stream stops at the first sample more than `buffer` past the window's end: what came
  // before is exactly the positions whose stream index is within it, the window's included.
  ASSERT_TRUE(run.sink.wait_until([](const auto&, int blocked) { return blocked == 1; }));
  auto got = run.sink.delivered();
  std::set<int64_t> expected, delivered;
  for (int64_t p = 0; p < 27; ++p)
    if (plan.order[p] <= window_end + buffer) expected.insert(p);
  for (const auto& [p, sample] : got) delivered.insert(p);
  EXPECT_EQ(delivered, expected);
  for (int64_t p = 0; p < window_end; ++p) EXPECT_EQ(delivered.count(p), 1u) << p;
  for (const auto& [p, sample] : got) {
    EXPECT_EQ(sample.error, "");
    EXPECT_TRUE(sample.bytes == file_bytes(data.folders->samples[order[p]].path)) << p;
  }
  run.sink.set_window_end(27);
  ASSERT_TRUE(run.sink.wait_until([](const auto& got, int) { return got.size() == 27; }));
  EXPECT_EQ(run.sink.duplicates(), 0);
  // Stand-ins come from the same batch: only the ring's samples are in memory.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const StandIn s = run.source->stand_in(12, order[12], attempt, 10, 5);
    EXPECT_GE(s.position, 10);
    EXPECT_LT(s.position, 15);
  }
}

TEST(ShardSource, ANewEpochWhileStreamsAreMidShardStartsCleanAndResumes) {
  TempDir dir;
  Packed data = packed_dataset(dir);
  Running run;
  run.source =
      std::make_unique<ShardSource>(data.shards, shuffled(9), ReadPolicy{}, 2, 4, run.sink);
  run.sink.begin(1);
  run.sink.activate(run.source->start_epoch({1, 0, 0, 27}), 0, 27, 5);
  ASSERT_TRUE(run.sink.wait_until([](const auto& got, int blocked) {
    return blocked >= 1 && !got.empty();  // a stream waits inside a shard
  }));

  // Epoch 1, resumed at position 10: earlier positions are read past, never delivered.
  run.sink.begin(2);
  std::vector<int64_t> order = run.source->start_epoch({2, 1, 10, 27});
  run.sink.activate(order, 10, 27, 27);
  ASSERT_TRUE(run.sink.wait_until([](const auto& got, int) { return got.size() == 17; }));
  auto got = run.sink.delivered();
  EXPECT_EQ(got.begin()->first, 10);
  EXPECT_EQ(got.rbegin()->first, 26);
  for (const auto& [p, sample] : got)
    EXPECT_TRUE(sample.bytes == file_bytes(data.folders->samples[order[p]].path)) << p;
  EXPECT_EQ(run.sink.duplicates(), 0);
}

/// Claims without blocking as many positions as the window allows, then reads them and
/// delivers them last first, from one thread: the shape of an event loop with many transfers
/// in flight that complete in any order. Sleeps on its own condition variable, woken by
/// window_moved. Optionally fails at one position or delivers one twice.
class OutOfOrderSource final : public SampleSource {
 public:
  OutOfOrderSource(std::shared_ptr<const DatasetIndex> index, SamplerOptions sampler,
                   SampleSink& sink)
      : files_(index, sampler, ReadPolicy{}, 0, sink),
        index_(index),
        sampler_(sampler),
        sink_(sink),
        thread_([this] { loop(); }) {}
  ~OutOfOrderSource() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  std::vector<int64_t> start_epoch(const EpochReads& reads) override {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_ = reads.generation;
    woken_ = true;
    cv_.notify_all();
    return epoch_indices(static_cast<int64_t>(index_->samples.size()), reads.epoch, sampler_);
  }
  void read(int64_t dataset_index, SampleBytes* sample) override {
    files_.read(dataset_index, sample);
  }
  StandIn stand_in(int64_t position, int64_t dataset_index, int attempt, int64_t first,
                   int size) const override {
    return files_.stand_in(position, dataset_index, attempt, first, size);
  }
  void window_moved() override {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
    cv_.notify_all();
  }

  void fail_at(int64_t position) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_at_ = position;
  }
  void deliver_twice(int64_t position) {
    std::lock_guard<std::mutex> lock(mutex_);
    twice_ = position;
  }
  int most_claimed_at_once() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return most_claimed_;
  }

 private:
  void loop() {
    while (true) {
      int64_t generation = 0, fail_at = -1, twice = -1;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || woken_; });
        if (stopping_) return;
        woken_ = false;
        generation = generation_;
        fail_at = fail_at_;
        twice = twice_;
      }
      std::vector<SampleClaim> claims;
      SampleClaim claim;
      while (sink_.claim(generation, /*wait=*/false, &claim) == SampleSink::Claim::kClaimed)
        claims.push_back(claim);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        most_claimed_ = std::max(most_claimed_, static_cast<int>(claims.size()));
      }
      for (auto it = claims.rbegin(); it != claims.rend(); ++it) {
        if (it->position == fail_at) {
          sink_.fail(generation,
                     std::make_exception_ptr(RuntimeError(str_cat(
                         "fetching ", index_->samples[it->dataset_index].path, ": reset"))));
          continue;
        }
        SampleBytes sample;
        read(it->dataset_index, &sample);
        if (it->position == twice) sink_.deliver(generation, it->position, sample);
        sink_.deliver(generation, it->position, std::move(sample));
      }
    }
  }

  FileSource files_;  // without threads: only its read and stand_in
  std::shared_ptr<const DatasetIndex> index_;
  SamplerOptions sampler_;
  SampleSink& sink_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  int64_t generation_ = 0, fail_at_ = -1, twice_ = -1;
  int most_claimed_ = 0;
  std::thread thread_;  // last: starts when the rest is set up
};

LoaderOptions loader_options(int workers, int io_threads) {
  LoaderOptions o;
  o.batch_size = 4;
  o.num_workers = workers;
  o.io_threads = io_threads;
  o.prefetch_batches = 2;  // a ring of 3 batches: 12 positions
  o.sampler = shuffled(11);
  o.sampler.drop_last = true;
  o.transform.size = 32;
  return o;
}

std::vector<std::vector<uint8_t>> load_epoch(BatchLoader& loader, int64_t epoch,
                                             int64_t first = 0) {
  loader.start_epoch(epoch, first);
  std::vector<std::vector<uint8_t>> out;
  while (auto batch = loader.next()) {
    const size_t bytes = static_cast<size_t>(batch->size) * batch->height * batch->width * 3;
    out.emplace_back(batch->images, batch->images + bytes);
    out.emplace_back(reinterpret_cast<const uint8_t*>(batch->labels),
                     reinterpret_cast<const uint8_t*>(batch->labels + batch->size));
  }
  return out;
}

TEST(SampleSource, OutOfOrderDeliveryGivesTheSameBatchesWithinTheRing) {
  TempDir dir;
  auto index = folder_dataset(dir);
  BatchLoader reference(index, loader_options(1, 4));
  OutOfOrderSource* source = nullptr;
  BatchLoader loader(index, loader_options(3, 0), [&](SampleSink& sink) {
    auto made = std::make_unique<OutOfOrderSource>(index, loader_options(3, 0).sampler, sink);
    source = made.get();
    return made;
  });
  for (int64_t epoch : {0, 1})
    EXPECT_TRUE(load_epoch(loader, epoch) == load_epoch(reference, epoch));
  // Reads never ran further ahead than the ring: 3 batches of 4.
  EXPECT_EQ(source->most_claimed_at_once(), 12);

  // A new epoch while this one is half read, and a resumed one.
  loader.start_epoch(0);
  { auto first = loader.next(); }
  const auto whole = load_epoch(reference, 1);
  EXPECT_TRUE(load_epoch(loader, 1, 2) ==
              std::vector<std::vector<uint8_t>>(whole.begin() + 4, whole.end()));  // 2 a batch
  loader.start_epoch(1);
  { auto first = loader.next(); }  // destroyed with reads in flight
}

TEST(SampleSource, AFailureMidEpochReachesNextAndTheNextEpochLoads) {
  TempDir dir;
  auto index = folder_dataset(dir);
  OutOfOrderSource* source = nullptr;
  BatchLoader loader(index, loader_options(2, 0), [&](SampleSink& sink) {
    auto made = std::make_unique<OutOfOrderSource>(index, loader_options(2, 0).sampler, sink);
    source = made.get();
    return made;
  });
  source->fail_at(17);
  try {
    load_epoch(loader, 0);
    FAIL() << "expected the source's failure";
  } catch (const RuntimeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("reset"), std::string::npos) << message;
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;  // names the file
  }
  source->fail_at(-1);
  BatchLoader reference(index, loader_options(1, 0));
  EXPECT_TRUE(load_epoch(loader, 1) == load_epoch(reference, 1));

  // A source that breaks the protocol ends the epoch with an error, not the process.
  source->deliver_twice(5);
  try {
    load_epoch(loader, 2);
    FAIL() << "expected an error for the second delivery";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("out of turn"), std::string::npos) << e.what();
  }
}

TEST(ShardSource, TheLoaderRestartsAndStopsWhileShardsAreMidStream) {
  TempDir dir;
  Packed data = packed_dataset(dir);
  LoaderOptions o = loader_options(2, 2);
  o.shuffle_buffer = 6;
  BatchLoader fresh(data.shards, o);
  const auto expected = load_epoch(fresh, 1);
  BatchLoader loader(data.shards, o);
  loader.start_epoch(0);
  { auto first = loader.next(); }
  EXPECT_TRUE(load_epoch(loader, 1) == expected);  // epoch 0 abandoned mid-stream
  loader.start_epoch(2);
  { auto first = loader.next(); }  // destroyed mid-stream
}

}  // namespace
}  // namespace imagenet
