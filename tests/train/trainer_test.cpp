// Tests train/trainer end to end on a tiny generated dataset, on the CPU: a run of 4 epochs and
// a run of 2 epochs resumed for 2 more end with identical weights, and so does a run stopped
// by a signal mid-epoch and resumed; top-k retention and metrics.csv follow the run.
#include "imagenet/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    data_ = testing::synthetic_splits(dir_->file("data"), /*val_per_class=*/4);
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
    c.train.epochs = 4;
    c.optim.lr = 0.4;
    c.optim.warmup_epochs = 1;
    c.optim.label_smoothing = 0.1;
    c.mix.mixup_alpha = 0.2;
    c.mix.cutmix_alpha = 1.0;
    c.mix.mixup_prob = 0.7;
    c.output.save_top_k = 2;
    c.output.log_every_n_steps = 2;
    return c;
  }

  static RunPaths paths(const std::string& name) { return make_run_paths(dir_->file(name)); }

  static CheckpointData last(const std::string& name) {
    return load_checkpoint(dir_->file(name) + "/checkpoints/last.ckpt");
  }

  static void expect_same_weights(const CheckpointData& a, const CheckpointData& b) {
    ASSERT_EQ(a.state_dict.size(), b.state_dict.size());
    for (const auto& [name, tensor] : a.state_dict)
      EXPECT_TRUE(torch::equal(tensor, b.state_dict.at(name))) << name;
    ASSERT_EQ(a.momentum.size(), b.momentum.size());
    for (const auto& [name, tensor] : a.momentum)
      EXPECT_TRUE(torch::equal(tensor, b.momentum.at(name))) << name;
    ASSERT_EQ(a.state_dict_ema.size(), b.state_dict_ema.size());
    for (const auto& [name, tensor] : a.state_dict_ema)
      EXPECT_TRUE(torch::equal(tensor, b.state_dict_ema.at(name))) << "EMA " << name;
    EXPECT_EQ(a.ema_updates, b.ema_updates);
    ASSERT_EQ(a.optimizer_state.size(), b.optimizer_state.size());
    for (const auto& [name, tensor] : a.optimizer_state)
      EXPECT_TRUE(torch::equal(tensor, b.optimizer_state.at(name))) << name;
    EXPECT_EQ(a.progress.global_step, b.progress.global_step);
  }

  /// The epoch rows of metrics.csv, as column -> value per epoch.
  static std::vector<std::map<std::string, std::string>> epoch_rows(const std::string& name) {
    std::vector<std::string> lines = str_split(read_file(dir_->file(name) + "/metrics.csv"), '\n');
    std::vector<std::string> header = str_split(lines[0], ',');
    std::vector<std::map<std::string, std::string>> rows;
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].empty()) continue;
      std::vector<std::string> cells = str_split(lines[i], ',');
      std::map<std::string, std::string> row;
      for (size_t c = 0; c < header.size(); ++c) row[header[c]] = cells[c];
      if (!row["val/acc1"].empty()) rows.push_back(row);
    }
    return rows;
  }

  static testing::TempDir* dir_;
  static DataSplits data_;
};

testing::TempDir* TrainerTest::dir_ = nullptr;
DataSplits TrainerTest::data_;

TEST_F(TrainerTest, ResumedRunsEndWithIdenticalWeights) {
  // A: four epochs in one go.
  {
    Trainer a(config(), RunContext{}, data_, paths("a"));
    ASSERT_EQ(a.fit(), 0);
  }
  CheckpointData a = last("a");
  EXPECT_EQ(a.progress.epoch, 4);
  EXPECT_EQ(a.progress.global_step, 24);

  // B: two epochs (stop_after_epochs keeps the 4-epoch schedule), then resumed for two more.
  {
    Config c = config();
    c.train.stop_after_epochs = 2;
    Trainer b(c, RunContext{}, data_, paths("b"));
    ASSERT_EQ(b.fit(), 0);
    EXPECT_EQ(last("b").progress.epoch, 2);
  }
  {
    Trainer b(config(), RunContext{}, data_, paths("b"));
    b.restore(last("b"), paths("b").checkpoints_dir + "/last.ckpt");
    ASSERT_EQ(b.fit(), 0);
  }
  expect_same_weights(a, last("b"));

  // C: stopped by a signal in the middle of epoch 1, then resumed.
  {
    Trainer* self = nullptr;
    Trainer c(config(), RunContext{}, data_, paths("c"),
              [&self] { return self && self->progress().global_step == 9 ? 15 : 0; });
    self = &c;
    EXPECT_EQ(c.fit(), 128 + 15);
    CheckpointData mid = last("c");
    EXPECT_EQ(mid.progress.epoch, 1);
    EXPECT_EQ(mid.progress.batch_in_epoch, 3);
  }
  {
    Trainer c(config(), RunContext{}, data_, paths("c"));
    c.restore(last("c"), paths("c").checkpoints_dir + "/last.ckpt");
    ASSERT_EQ(c.fit(), 0);
  }
  expect_same_weights(a, last("c"));

  // The resumed runs logged every epoch once, with the same numbers as the straight run.
  auto rows_a = epoch_rows("a"), rows_b = epoch_rows("b"), rows_c = epoch_rows("c");
  ASSERT_EQ(rows_a.size(), 4u);
  ASSERT_EQ(rows_b.size(), 4u);
  ASSERT_EQ(rows_c.size(), 4u);
  for (size_t e = 0; e < 4; ++e) {
    for (const char* key :
         {"epoch", "step", "train/loss", "train/acc1", "val/loss", "val/acc1", "lr"}) {
      EXPECT_EQ(rows_a[e][key], rows_b[e][key]) << "epoch " << e << " " << key;
      EXPECT_EQ(rows_a[e][key], rows_c[e][key]) << "epoch " << e << " " << key;
    }
  }
}

TEST_F(TrainerTest, RecipePiecesResumeMidEpochToIdenticalWeights) {
  // AdamW or LAMB, BCE, drop path, per-image mixing, TrivialAugment, erasing, repeated
  // augmentation and the model EMA (timm's rule with AdamW, torchvision's with LAMB): every
  // draw is seeded by (seed, epoch, sample) or (seed, step), and the optimizer's moments and
  // the EMA travel in the checkpoint, so a run stopped mid-epoch ends as one that was not.
  for (OptimizerKind kind : {OptimizerKind::kAdamW, OptimizerKind::kLamb}) {
    const std::string name = "recipe_" + to_string(kind);
    Config c = config();
    c.train.epochs = 2;
    c.optim.optimizer = kind;
    c.optim.lr = 0.002;
    c.optim.weight_decay = 0.02;
    c.optim.weight_decay_norm_bias = false;
    c.optim.bce_loss = true;
    c.optim.bce_target_thresh = 0.2;
    c.model.drop_path_rate = 0.1;
    c.mix.mixup_mode = MixMode::kElem;
    c.augment.auto_augment = "ta_wide";
    c.augment.train_interpolation = TrainInterpolation::kBicubic;
    c.augment.reprob = 0.5;
    c.augment.recount = 2;
    c.augment.aug_repeats = 3;
    c.ema.model_ema = true;
    c.ema.model_ema_decay = 0.9;
    c.ema.model_ema_warmup = kind == OptimizerKind::kAdamW;
    c.ema.model_ema_steps = kind == OptimizerKind::kLamb ? 4 : 0;
    c.output.monitor = "val_ema/acc1";
    // LAMB with two micro-batches per step: 3 optimizer steps per epoch of 6 batches.
    const bool accumulate = kind == OptimizerKind::kLamb;
    if (accumulate) c.train.accumulate_grad_batches = 2;
    const int64_t steps = accumulate ? 6 : 12, stop_at = accumulate ? 4 : 8;
    {
      Trainer a(c, RunContext{}, data_, paths(name + "_a"));
      ASSERT_EQ(a.fit(), 0);
    }
    const CheckpointData a = last(name + "_a");
    EXPECT_EQ(a.progress.global_step, steps);
    EXPECT_TRUE(a.momentum.empty());
    EXPECT_FALSE(a.optimizer_state.empty());
    // timm: every step; torchvision's every 4 steps: step 0 of each 3-step epoch.
    EXPECT_EQ(a.ema_updates, accumulate ? 2 : 12);
    EXPECT_TRUE(a.metrics.count("val_ema/acc1")) << "no val_ema/acc1 in the checkpoint";
    ASSERT_FALSE(a.top_k.empty());
    EXPECT_NE(a.top_k.front().path.find("val_ema_acc1="), std::string::npos)
        << a.top_k.front().path;
    EXPECT_NEAR(a.top_k.front().score,
                std::max(std::stod(epoch_rows(name + "_a")[0]["val_ema/acc1"]),
                         std::stod(epoch_rows(name + "_a")[1]["val_ema/acc1"])),
                1e-6);
    EXPECT_FALSE(torch::equal(a.state_dict_ema.at("fc.weight"), a.state_dict.at("fc.weight")));
    {
      Trainer* self = nullptr;
      Trainer b(c, RunContext{}, data_, paths(name + "_b"), [&self, stop_at] {
        return self && self->progress().global_step == stop_at ? 15 : 0;
      });
      self = &b;
      EXPECT_EQ(b.fit(), 128 + 15);
      // Mid-epoch 1, between optimizer steps.
      EXPECT_EQ(last(name + "_b").progress.batch_in_epoch, 2);
    }
    {
      Trainer b(c, RunContext{}, data_, paths(name + "_b"));
      b.restore(last(name + "_b"), paths(name + "_b").checkpoints_dir + "/last.ckpt");
      ASSERT_EQ(b.fit(), 0);
    }
    expect_same_weights(a, last(name + "_b"));
  }
}

TEST_F(TrainerTest, KeepsTopKCheckpointsAndTheirTable) {
  Config c = config();
  c.train.epochs = 3;
  c.mix.mixup_alpha = c.mix.cutmix_alpha = 0;
  {
    Trainer t(c, RunContext{}, data_, paths("topk"));
    ASSERT_EQ(t.fit(), 0);
  }
  CheckpointData ckpt = last("topk");
  ASSERT_EQ(ckpt.top_k.size(), 2u);
  std::set<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(paths("topk").checkpoints_dir))
    files.insert(e.path().filename().string());
  EXPECT_EQ(files.size(), 4u);  // last.ckpt, 2 top-k files, best_k_models.yaml
  EXPECT_TRUE(files.count("last.ckpt"));
  EXPECT_TRUE(files.count("best_k_models.yaml"));
  for (const auto& entry : ckpt.top_k) {
    EXPECT_TRUE(path_exists(entry.path)) << entry.path;
    EXPECT_NE(entry.path.find(str_printf("resnet18-epoch=%02lld-val_acc1=",
                                         static_cast<long long>(entry.epoch))),
              std::string::npos);
    // Each top-k file is a complete checkpoint of its epoch.
    EXPECT_EQ(load_checkpoint(entry.path).progress.epoch, entry.epoch + 1);
  }
  EXPECT_GE(ckpt.top_k[0].score, ckpt.top_k[1].score);
}

}  // namespace
}  // namespace imagenet
