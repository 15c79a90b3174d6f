// Tests train/lr_schedule and train/plan against PyTorch's schedulers
// (tests/golden/lr_schedule.py) and the seeds' linear scaling table.
#include "imagenet/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "imagenet/train/plan.h"

namespace imagenet {
namespace {

struct Case {
  LrSchedule schedule;
  std::vector<std::pair<int64_t, double>> expected;  // (step, lr) from PyTorch
};

LrSchedule make(LrScheduler kind, double base, double lr_min, double factor, int64_t warmup,
                int64_t total) {
  LrSchedule s;
  s.kind = kind;
  s.base_lr = base;
  s.lr_min = lr_min;
  s.warmup_start_factor = factor;
  s.warmup_steps = warmup;
  s.total_steps = total;
  return s;
}

TEST(LrSchedule, ProducesPyTorchValues) {
  const std::vector<Case> cases = {
      {make(LrScheduler::kCosine, 0.5, 0.0, 0.01, 25, 300),
       {{0, 0.005},
        {1, 0.0248},
        {24, 0.4802},
        {25, 0.5},
        {26, 0.4999836867817129},
        {150, 0.2855787095683213},
        {298, 6.525074417979002e-05},
        {299, 1.6313218287128388e-05}}},
      {make(LrScheduler::kCosine, 0.357, 1e-5, 0.1, 0, 50),
       {{0, 0.357},
        {1, 0.3566477808908043},
        {25, 0.178505},
        {48, 0.0014174863888722908},
        {49, 0.000362219109195668}}},
      {make(LrScheduler::kConstant, 0.1, 0.0, 0.01, 10, 40),
       {{0, 0.001},
        {1, 0.010899999999999998},
        {9, 0.09009999999999996},
        {10, 0.1},
        {11, 0.1},
        {20, 0.1},
        {38, 0.1},
        {39, 0.1}}},
  };
  for (const auto& c : cases)
    for (const auto& [step, lr] : c.expected)
      EXPECT_NEAR(c.schedule.at(step), lr, 1e-12 + 1e-9 * lr) << "step " << step;
}

LrSchedule with_milestones(double base, double factor, int64_t warmup, int64_t total,
                           std::vector<int64_t> milestones, double gamma) {
  LrSchedule s = make(LrScheduler::kCosine, base, 0.0, factor, warmup, total);
  s.milestones = std::move(milestones);
  s.gamma = gamma;
  return s;
}

TEST(LrSchedule, StepDecayProducesPyTorchsStepLrAndMultiStepLr) {
  // tests/golden/lr_schedule.py, the multistep cases.
  const std::vector<Case> cases = {
      {with_milestones(0.1, 0.01, 0, 90, {30, 60}, 0.1),
       {{0, 0.1},
        {1, 0.1},
        {29, 0.1},
        {30, 0.010000000000000002},
        {59, 0.010000000000000002},
        {60, 0.0010000000000000002},
        {89, 0.0010000000000000002}}},
      {with_milestones(0.8, 0.1, 5, 40, {10, 25, 35}, 0.5),
       {{0, 0.08000000000000002},
        {1, 0.22400000000000003},
        {4, 0.656},
        {5, 0.8},
        {9, 0.8},
        {10, 0.4},
        {24, 0.4},
        {25, 0.2},
        {34, 0.2},
        {35, 0.1},
        {39, 0.1}}},
      {with_milestones(0.2, 0.01, 0, 12, step_lr_milestones(3, 12), 0.1),
       {{0, 0.2},
        {1, 0.2},
        {2, 0.2},
        {3, 0.020000000000000004},
        {5, 0.020000000000000004},
        {6, 0.0020000000000000005},
        {8, 0.0020000000000000005},
        {9, 0.00020000000000000006},
        {11, 0.00020000000000000006}}},
  };
  for (const auto& c : cases)
    for (const auto& [step, lr] : c.expected)
      EXPECT_NEAR(c.schedule.at(step), lr, 1e-12 + 1e-9 * lr) << "step " << step;
  EXPECT_EQ(step_lr_milestones(30, 90), (std::vector<int64_t>{30, 60}));
  EXPECT_EQ(step_lr_milestones(30, 91), (std::vector<int64_t>{30, 60, 90}));
}

TEST(LrSchedule, CooldownStepsPastTheScheduleKeepItsLastLr) {
  // timm's cooldown_epochs train past the cosine's end at lr_min; step decay keeps its last LR.
  const LrSchedule cosine = make(LrScheduler::kCosine, 0.5, 1e-5, 0.01, 10, 100);
  EXPECT_DOUBLE_EQ(cosine.at(100), 1e-5);
  EXPECT_DOUBLE_EQ(cosine.at(130), 1e-5);
  const LrSchedule step = with_milestones(0.1, 0.01, 0, 90, {30, 60}, 0.1);
  EXPECT_DOUBLE_EQ(step.at(120), step.at(89));
}

TEST(TrainingPlan, ScalesLrLinearlyWithTheTotalBatch) {
  // The seeds' table: base 0.5 at 256 -> 1.0 at 512, 2.0 at 1024, 4.0 at 2048.
  Config c;
  c.optim.lr = 0.5;
  c.train.batch_size = 256;
  c.train.epochs = 10;
  c.optim.warmup_epochs = 2;
  for (auto [world, lr] :
       std::vector<std::pair<int, double>>{{1, 0.5}, {2, 1.0}, {4, 2.0}, {8, 4.0}}) {
    TrainingPlan plan = make_training_plan(c, world, 100);
    EXPECT_DOUBLE_EQ(plan.effective_lr, lr);
    EXPECT_EQ(plan.total_batch, 256 * world);
  }
  c.train.batch_size = 384;  // single_gpu_full: lr 0.5 per 256 -> 0.75
  EXPECT_DOUBLE_EQ(make_training_plan(c, 1, 100).effective_lr, 0.75);
  c.optim.lr_scaling = LrScaling::kNone;
  EXPECT_DOUBLE_EQ(make_training_plan(c, 4, 100).effective_lr, 0.5);
  TrainingPlan plan = make_training_plan(c, 1, 100);
  EXPECT_EQ(plan.total_steps, 1000);
  EXPECT_EQ(plan.warmup_steps, 200);
  EXPECT_DOUBLE_EQ(plan.schedule.at(200), 0.5);
}

TEST(TrainingPlan, AutoScalingIsSqrtForAdamTypeOptimizersAndLinearForSgd) {
  // timm's rule: lr x sqrt(B / base) for adamw and lamb; RSB A1 writes lr 0.005 at 2048.
  Config c;
  c.optim.lr = 0.005;
  c.optim.lr_base_size = 2048;
  c.train.batch_size = 256;
  c.optim.optimizer = OptimizerKind::kLamb;
  TrainingPlan plan = make_training_plan(c, 2, 100);  // total batch 512
  EXPECT_EQ(plan.lr_rule, LrScaling::kSqrt);
  EXPECT_DOUBLE_EQ(plan.effective_lr, 0.005 * std::sqrt(512.0 / 2048.0));
  c.optim.optimizer = OptimizerKind::kSgd;
  EXPECT_DOUBLE_EQ(make_training_plan(c, 2, 100).effective_lr, 0.005 * 512.0 / 2048.0);
  c.optim.lr_scaling = LrScaling::kSqrt;
  EXPECT_DOUBLE_EQ(make_training_plan(c, 8, 100).effective_lr, 0.005);
}

TEST(TrainingPlan, StepSchedulesAndCooldownFromTheirEpochKeys) {
  Config c;
  c.optim.lr = 0.1;
  c.train.batch_size = 256;
  c.train.epochs = 90;
  c.optim.lr_scheduler = LrScheduler::kStep;
  c.optim.lr_step_epochs = {30};
  c.optim.lr_gamma = 0.1;
  TrainingPlan plan = make_training_plan(c, 1, 10);
  EXPECT_EQ(plan.schedule.milestones, (std::vector<int64_t>{300, 600}));
  EXPECT_DOUBLE_EQ(plan.schedule.at(299), 0.1);
  EXPECT_NEAR(plan.schedule.at(300), 0.01, 1e-15);
  EXPECT_NEAR(plan.schedule.at(899), 0.001, 1e-15);
  c.optim.lr_scheduler = LrScheduler::kMultiStep;
  c.optim.lr_step_epochs = {30, 60, 80};
  EXPECT_EQ(make_training_plan(c, 1, 10).schedule.milestones,
            (std::vector<int64_t>{300, 600, 800}));
  // timm's cooldown: epochs past the schedule at its final LR.
  c.optim.lr_scheduler = LrScheduler::kCosine;
  c.optim.lr_min = 1e-6;
  c.optim.cooldown_epochs = 10;
  plan = make_training_plan(c, 1, 10);
  EXPECT_EQ(plan.epochs, 100);
  EXPECT_EQ(plan.total_steps, 900);
  EXPECT_DOUBLE_EQ(plan.schedule.at(950), 1e-6);
}

}  // namespace
}  // namespace imagenet
