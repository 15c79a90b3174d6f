// Tests preflight/preflight_rules.h: the batch-size search against a fake memory limit, the LR
// milestones against the cosine schedule's closed form, the pipeline and storage verdicts, bus
// bandwidth as nccl-tests defines it, and the dataset index hash.
#include "imagenet/preflight/preflight_rules.h"

#include <gtest/gtest.h>

#include <cmath>

namespace imagenet {
namespace {

// A fake allocator limit: a batch fits when it is at most `limit` images.
BatchSearch search_under(int64_t limit_images, int64_t start, int64_t cap = 1 << 20) {
  return find_largest_batch(start, cap, [=](int64_t b) { return b <= limit_images; });
}

TEST(FindLargestBatch, DoublesThenBisectsToTheExactLimit) {
  BatchSearch s = search_under(300, 8);
  EXPECT_EQ(s.largest, 300);
  EXPECT_FALSE(s.reached_limit);
  // Doubling: 8 .. 256 fit, 512 fails; then bisection between 256 and 512.
  ASSERT_GE(s.trials.size(), 7u);
  const std::vector<int64_t> doubling = {8, 16, 32, 64, 128, 256, 512};
  for (size_t i = 0; i < doubling.size(); ++i) EXPECT_EQ(s.trials[i].first, doubling[i]);
  EXPECT_FALSE(s.trials[6].second);
  for (const auto& [batch, fits] : s.trials) {
    EXPECT_LE(batch, 512);
    EXPECT_EQ(fits, batch <= 300);
  }
  EXPECT_EQ(s.trials[7].first, 384);    // (256 + 512) / 2
  EXPECT_LE(s.trials.size(), 7u + 9u);  // bisection of 256 sizes: at most log2(256) + 1 more
}

TEST(FindLargestBatch, BisectsDownWhenTheStartDoesNotFit) {
  BatchSearch s = search_under(5, 8);
  EXPECT_EQ(s.largest, 5);
  EXPECT_EQ(s.trials.front().first, 8);
  EXPECT_FALSE(s.trials.front().second);
}

TEST(FindLargestBatch, NothingFits) {
  BatchSearch s = search_under(0, 8);
  EXPECT_EQ(s.largest, 0);
  EXPECT_EQ(s.trials.back().first, 1);
}

TEST(FindLargestBatch, StopsAtTheLimitAndSaysSo) {
  BatchSearch s = search_under(1000000, 8, 100);
  EXPECT_EQ(s.largest, 100);
  EXPECT_TRUE(s.reached_limit);
  EXPECT_EQ(s.trials.back().first, 100);
}

TEST(FindLargestBatch, PowersOfTwoAndOne) {
  EXPECT_EQ(search_under(256, 8).largest, 256);
  EXPECT_EQ(search_under(1, 8).largest, 1);
  EXPECT_EQ(search_under(9, 8).largest, 9);
}

TrainingPlan plan_of(int epochs, double warmup_epochs, int64_t steps_per_epoch, double lr) {
  Config config;
  config.train.epochs = epochs;
  config.optim.warmup_epochs = warmup_epochs;
  config.optim.lr = lr;
  config.optim.lr_scaling = LrScaling::kNone;
  return make_training_plan(config, 1, steps_per_epoch);
}

TEST(LrMilestones, WarmupEpochsQuartersAndTheLastStep) {
  const TrainingPlan plan = plan_of(600, 5, 100, 0.8);
  const auto m = lr_milestones(plan, 600, 5);
  std::vector<int64_t> epochs;
  for (const auto& x : m) epochs.push_back(x.epoch);
  EXPECT_EQ(epochs, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 150, 300, 450, 599}));
  EXPECT_DOUBLE_EQ(m[0].lr, 0.8 * 0.01);  // warmup_start_factor
  EXPECT_EQ(m[5].label, "epoch 5 (end of warmup)");
  EXPECT_DOUBLE_EQ(m[5].lr, 0.8);
  EXPECT_EQ(m.back().step, 600 * 100 - 1);
  EXPECT_EQ(m[6].label, "epoch 150 (25%)");
}

TEST(LrMilestones, CosineWithoutWarmupIsHalfWayAtHalfTheRun) {
  const TrainingPlan plan = plan_of(100, 0, 10, 0.4);
  const auto m = lr_milestones(plan, 100, 0);
  ASSERT_EQ(m.size(), 6u);  // 0, 1, 25, 50, 75, last
  EXPECT_DOUBLE_EQ(m[0].lr, 0.4);
  // CosineAnnealingLR: eta_min + (base - eta_min) (1 + cos(pi t / T)) / 2.
  EXPECT_NEAR(m[3].lr, 0.2, 1e-12);
  EXPECT_NEAR(m[2].lr, 0.2 * (1 + std::cos(M_PI * 250 / 1000)), 1e-12);
}

TEST(LrMilestones, LongWarmupIsThinnedToTenEntries) {
  const TrainingPlan plan = plan_of(100, 40, 10, 0.1);
  const auto m = lr_milestones(plan, 100, 40);
  int in_warmup = 0;
  for (const auto& x : m) in_warmup += x.epoch <= 40;
  EXPECT_LE(in_warmup, 11);
  EXPECT_EQ(m[0].epoch, 0);
}

PipelineRates rates(double data, double step) {
  PipelineRates r;
  r.data_rate = data;
  r.step_rate = step;
  r.images_per_epoch = 10000;
  r.epochs = 10;
  r.latency_per_open = 0.02;
  r.reading_threads = 2;
  r.read_bound = true;
  r.loader_advice = "copy the data";
  return r;
}

TEST(PipelineVerdict, StarvingDataFailsWithTheIoThreadsToRaiseTo) {
  PreflightCheck c = pipeline_verdict(rates(100, 400));
  EXPECT_EQ(c.status, CheckStatus::kFail);
  EXPECT_NE(c.verdict.find("data will starve the GPU by 75%"), std::string::npos) << c.verdict;
  // 400 img/s at 20 ms per open: 8 reads in flight, 10 with the headroom.
  EXPECT_NE(c.fix.find("raise io_threads to 10"), std::string::npos) << c.fix;
  EXPECT_NE(c.fix.find("copy the data"), std::string::npos);
  EXPECT_NE(c.verdict.find("01:40"), std::string::npos) << c.verdict;  // 10000 / 100 img/s
}

TEST(PipelineVerdict, DecodeBoundGivesTheLoadersAdvice) {
  PipelineRates r = rates(100, 400);
  r.read_bound = false;
  PreflightCheck c = pipeline_verdict(r);
  EXPECT_EQ(c.status, CheckStatus::kFail);
  EXPECT_EQ(c.fix, "copy the data");
}

TEST(PipelineVerdict, WithinTenPercentWarnsAndFasterDataPasses) {
  EXPECT_EQ(pipeline_verdict(rates(380, 400)).status, CheckStatus::kWarn);
  PreflightCheck c = pipeline_verdict(rates(800, 400));
  EXPECT_EQ(c.status, CheckStatus::kPass);
  EXPECT_NE(c.verdict.find("00:25"), std::string::npos) << c.verdict;  // 10000 / 400 img/s
}

StorageState storage(int64_t free_bytes) {
  StorageState s;
  s.folder = s.probed_folder = "/runs/a/checkpoints";
  s.free_bytes = free_bytes;
  s.checkpoint_bytes = 100;
  s.save_top_k = 3;
  return s;
}

TEST(StorageVerdict, NeedsSaveTopKPlusTwoCheckpoints) {
  EXPECT_EQ(storage_verdict(storage(500)).status, CheckStatus::kPass);
  PreflightCheck c = storage_verdict(storage(499));
  EXPECT_EQ(c.status, CheckStatus::kFail);
  EXPECT_NE(c.verdict.find("not enough space"), std::string::npos);
  EXPECT_EQ(checkpoints_kept(-1, 90), 92);
  EXPECT_EQ(checkpoints_kept(0, 90), 2);
}

TEST(StorageVerdict, ReadOnlyOrAnExistingRunFails) {
  StorageState s = storage(1000);
  s.writable = false;
  s.write_error = "Read-only file system";
  PreflightCheck c = storage_verdict(s);
  EXPECT_EQ(c.status, CheckStatus::kFail);
  EXPECT_NE(c.verdict.find("not writable (Read-only file system)"), std::string::npos);
  s = storage(1000);
  s.holds_run = true;
  EXPECT_NE(storage_verdict(s).fix.find("--resume"), std::string::npos);
}

TEST(AllReduceBusBandwidth, AsNcclTestsComputesIt) {
  // 1 GB in 1 s over 8 ranks: algbw 1 GB/s, busbw 2 * 7 / 8.
  EXPECT_DOUBLE_EQ(all_reduce_bus_gbps(1e9, 1.0, 8), 1.75);
  EXPECT_DOUBLE_EQ(all_reduce_bus_gbps(1e9, 0.5, 2), 2.0);
  EXPECT_DOUBLE_EQ(all_reduce_bus_gbps(1e9, 1.0, 1), 0.0);
}

TEST(Fnv1a64, KnownValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(DatasetIndexHash, SameDataElsewhereAgreesOtherDataDoesNot) {
  DatasetIndex a = make_dataset_index("/mnt/a/train", {"cat", "dog"}, {{"1.jpg"}, {"2.jpg"}});
  DatasetIndex b = make_dataset_index("/fsx/b/train", {"cat", "dog"}, {{"1.jpg"}, {"2.jpg"}});
  DatasetIndex c = make_dataset_index("/mnt/a/train", {"cat", "dog"}, {{"1.jpg"}, {"3.jpg"}});
  DatasetIndex d = make_dataset_index("/mnt/a/train", {"cat", "dog"}, {{"1.jpg", "2.jpg"}, {}});
  EXPECT_EQ(dataset_index_hash(a), dataset_index_hash(b));
  EXPECT_NE(dataset_index_hash(a), dataset_index_hash(c));
  EXPECT_NE(dataset_index_hash(a), dataset_index_hash(d));
}

}  // namespace
}  // namespace imagenet
