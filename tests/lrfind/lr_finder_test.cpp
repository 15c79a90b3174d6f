// Tests lrfind/lr_finder on a real Trainer and tiny generated data, on the CPU: the sweep's
// steps are training's own steps (same losses as fit() at the same LRs, across an epoch
// boundary, mixing included), it follows the LR ramp, and it writes nothing into the run.
#include "imagenet/lrfind/lr_finder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

class LrFinderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    data_ = testing::synthetic_splits(dir_->file("data"), /*val_per_class=*/2);
  }
  static void TearDownTestSuite() {
    delete dir_;
    data_ = {};
  }

  static Config config() {
    Config c;
    c.model.arch = "resnet18";
    c.data.data_root = dir_->file("data");
    c.data.img_size = 32;
    c.data.num_workers = 2;
    c.train.batch_size = 8;  // 48 images: 6 steps per epoch
    c.train.epochs = 2;
    c.optim.lr = 0.4;
    c.optim.warmup_epochs = 1;
    c.mix.mixup_alpha = 0.2;
    c.mix.cutmix_alpha = 1.0;
    c.mix.mixup_prob = 0.7;
    c.output.log_every_n_steps = 1;
    return c;
  }

  static testing::TempDir* dir_;
  static DataSplits data_;
};

testing::TempDir* LrFinderTest::dir_ = nullptr;
DataSplits LrFinderTest::data_;

TEST_F(LrFinderTest, StepsAtGivenLrsAreTheStepsOfTraining) {
  // fit() logs every step's loss in metrics.csv (log_every_n_steps 1).
  const RunPaths fitted = make_run_paths(dir_->file("fit"));
  {
    Trainer t(config(), RunContext{}, data_, fitted);
    ASSERT_EQ(t.fit(), 0);
  }
  std::vector<std::string> logged;
  std::vector<std::string> lines = str_split(read_file(fitted.metrics_csv), '\n');
  std::vector<std::string> header = str_split(lines[0], ',');
  const size_t column = std::find(header.begin(), header.end(), "train/loss_step") - header.begin();
  ASSERT_LT(column, header.size());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = str_split(lines[i], ',');
    if (cells.size() > column && !cells[column].empty()) logged.push_back(cells[column]);
  }
  ASSERT_EQ(logged.size(), 12u);

  // The same 12 steps, driven one by one at the schedule's LRs, give the same losses.
  Trainer t(config(), RunContext{}, data_, make_run_paths(dir_->file("steps")));
  for (int64_t k = 0; k < 12; ++k)
    EXPECT_EQ(format_number(t.run_step_at_lr(t.plan().schedule.at(k))), logged[k]) << "step " << k;
  EXPECT_EQ(t.progress().global_step, 12);
  EXPECT_EQ(t.progress().epoch, 1);
}

TEST_F(LrFinderTest, SweepFollowsTheRampAndLeavesNoTrace) {
  const RunPaths paths = make_run_paths(dir_->file("sweep"));
  Trainer t(config(), RunContext{}, data_, paths);
  LrSweepOptions o;
  o.min_lr = 1e-3;
  o.max_lr = 0.5;
  o.num_training = 15;
  o.early_stop_threshold = 0;
  LrSweep sweep(o);
  EXPECT_EQ(run_lr_sweep(t, sweep, 5), 0);
  EXPECT_EQ(sweep.end(), LrSweepEnd::kFinished);
  ASSERT_EQ(sweep.points().size(), 15u);
  for (int64_t k = 0; k < 15; ++k) {
    EXPECT_DOUBLE_EQ(sweep.points()[k].lr, lr_sweep_lr(o, k));
    EXPECT_TRUE(std::isfinite(sweep.points()[k].loss));
  }
  // 15 steps of 6 per epoch: two whole epochs and 3 batches of the third.
  EXPECT_EQ(t.progress().global_step, 15);
  EXPECT_EQ(t.progress().epoch, 2);
  EXPECT_EQ(t.progress().batch_in_epoch, 3);
  EXPECT_FALSE(path_exists(paths.checkpoints_dir));
  EXPECT_FALSE(path_exists(paths.metrics_csv));
  EXPECT_FALSE(path_exists(paths.config_yaml));
}

TEST_F(LrFinderTest, StopRequestEndsTheSweep) {
  // The trainer's stop request is polled after every step: a signal (2) from the 4th poll on.
  int polls = 0;
  Trainer t(config(), RunContext{}, data_, make_run_paths(dir_->file("stopped")),
            [&polls] { return ++polls >= 4 ? 2 : 0; });
  LrSweepOptions o;
  o.min_lr = 1e-3;
  o.max_lr = 0.5;
  o.num_training = 20;
  LrSweep sweep(o);
  EXPECT_EQ(run_lr_sweep(t, sweep, 5), 2);
  EXPECT_EQ(sweep.end(), LrSweepEnd::kStopped);
  EXPECT_EQ(sweep.points().size(), 4u);
}

}  // namespace
}  // namespace imagenet
