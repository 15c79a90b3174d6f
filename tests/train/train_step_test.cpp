// Tests train/train_step: detect_anomaly turns autograd's anomaly detection on for the step, so
// a backward that produces NaN throws (naming the operation) instead of training on.
#include "imagenet/train/train_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace imagenet {
namespace {

TrainStepOptions tiny_options(bool detect_anomaly) {
  Config config;
  config.model.arch = "resnet18";
  config.model.channels_last = false;
  TrainStepOptions o = train_step_options(config);
  o.detect_anomaly = detect_anomaly;
  return o;
}

DeviceBatch batch_with_a_nan() {
  DeviceBatch b;
  b.images = at::randn({2, 3, 32, 32});
  b.images[0][1][5][7] = NAN;
  b.labels = at::tensor({0, 1}, at::kLong);
  return b;
}

TEST(TrainStep, OptionsAreTheConfigsSlice) {
  Config config;
  config.train.seed = 7;
  config.train.precision = Precision::kBFloat16Mixed;
  config.train.detect_anomaly = true;
  config.optim.label_smoothing = 0.1;
  config.mix.cutmix_alpha = 1.0;
  const TrainStepOptions o = train_step_options(config);
  EXPECT_EQ(o.seed, 7);
  EXPECT_EQ(o.precision, Precision::kBFloat16Mixed);
  EXPECT_TRUE(o.detect_anomaly);
  EXPECT_DOUBLE_EQ(o.optim.label_smoothing, 0.1);
  EXPECT_DOUBLE_EQ(o.mix.cutmix_alpha, 1.0);
}

TEST(TrainStep, WithoutAnomalyDetectionANanInputGivesANanLoss) {
  TrainStep step(tiny_options(false), c10::Device(c10::kCPU), 2);
  DeviceBatch b = batch_with_a_nan();
  StepResult r = step.run(b, 0.1, 0);
  EXPECT_TRUE(std::isnan(r.loss.item<double>()));
}

TEST(TrainStep, DetectAnomalyThrowsWhereBackwardMakesNan) {
  {
    TrainStep step(tiny_options(true), c10::Device(c10::kCPU), 2);
    EXPECT_TRUE(torch::autograd::AnomalyMode::is_enabled());
    DeviceBatch b = batch_with_a_nan();
    try {
      step.run(b, 0.1, 0);
      FAIL() << "a NaN in backward did not throw under detect_anomaly";
    } catch (const std::exception& e) {
      // "Function 'LogSoftmaxBackward0' returned nan values in its 0th output."
      EXPECT_NE(std::string(e.what()).find("returned nan values"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(torch::autograd::AnomalyMode::is_enabled()) << "the step left anomaly mode on";
}

TEST(TrainStep, NanPolicySkipDropsTheUpdateOfANonFiniteStep) {
  Config config;
  config.train.nan_policy = NanPolicy::kSkip;
  EXPECT_TRUE(train_step_options(config).skip_non_finite);
  config.train.precision = Precision::kFloat16Mixed;  // its loss scaler skips on its own
  EXPECT_FALSE(train_step_options(config).skip_non_finite);

  for (const bool skip : {true, false}) {
    TrainStepOptions o = tiny_options(false);
    o.skip_non_finite = skip;
    TrainStep step(o, c10::Device(c10::kCPU), 2);
    const at::Tensor before = step.model()->fc->weight.detach().clone();
    DeviceBatch b = batch_with_a_nan();
    StepResult r = step.run(b, 0.1, 0);
    EXPECT_TRUE(std::isnan(r.loss.item<double>()));
    EXPECT_EQ(r.stepped, !skip);
    const at::Tensor after = step.model()->fc->weight.detach();
    if (skip) {
      EXPECT_TRUE(at::equal(before, after)) << "a skipped step changed the weights";
      DeviceBatch good;
      good.images = at::randn({2, 3, 32, 32});
      good.labels = at::tensor({0, 1}, at::kLong);
      EXPECT_TRUE(step.run(good, 0.1, 1).stepped) << "a finite step after a skip is skipped";
    } else {
      EXPECT_TRUE(at::isnan(after).any().item<bool>()) << "without skip NaN reaches the weights";
    }
  }
}

}  // namespace
}  // namespace imagenet
