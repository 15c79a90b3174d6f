// Tests train/train_step: detect_anomaly turns autograd's anomaly detection on for the step, so
// a backward that produces NaN throws (naming the operation) instead of training on; gradient
// accumulation: N micro-batches of B make the update of one batch of N x B (fp32, BatchNorm in
// eval mode), in one process and in two (the all-reduce on the last micro-batch only).
#include "imagenet/train/train_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "distributed/ranks.h"
#include "imagenet/checkpoint/model_state.h"
#include "imagenet/train/data_parallel.h"

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

/// Images [first, first + n) of one fixed batch of 16 (4 classes).
DeviceBatch slice_of_batch(int64_t first, int64_t n) {
  // Fixed values without a generator (the ranks' threads share LibTorch's global one).
  const at::Tensor images =
      at::sin(at::arange(16 * 3 * 32 * 32, at::kFloat).mul(0.37)).reshape({16, 3, 32, 32});
  const at::Tensor labels = at::arange(16, at::kLong).remainder(4);
  DeviceBatch b;
  b.images = images.narrow(0, first, n).clone();
  b.labels = labels.narrow(0, first, n).clone();
  return b;
}

std::map<std::string, at::Tensor> weights_of(TrainStep& step) {
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, tensor] : model_state(*step.model())) out[name] = tensor.detach().clone();
  return out;
}

/// Every parameter moved, and `b` lies within `tolerance` of `a` relative to the move (L2).
void expect_same_update(const std::map<std::string, at::Tensor>& start,
                        const std::map<std::string, at::Tensor>& a,
                        const std::map<std::string, at::Tensor>& b, double tolerance) {
  for (const auto& [name, tensor] : a) {
    if (!tensor.is_floating_point() || name.find("running") != std::string::npos) continue;
    const double change = (tensor - start.at(name)).norm().item<double>();
    const double diff = (tensor - b.at(name)).norm().item<double>();
    EXPECT_GT(change, 0.0) << name;
    EXPECT_LE(diff, tolerance * change) << name << " changed by " << change;
  }
}

TEST(TrainStep, AccumulatedMicroBatchesMakeTheUpdateOfTheirWholeBatch) {
  // Two SGD steps (momentum, weight decay) from the same weights: batches of 16 against four
  // micro-batches of 4. A loss not divided by the micro-batches would move every weight 4x.
  TrainStep whole(tiny_options(false), c10::Device(c10::kCPU), 4);
  TrainStep parts(tiny_options(false), c10::Device(c10::kCPU), 4);
  const auto start = weights_of(whole);
  load_model_state(*parts.model(), start, "start");
  whole.model()->eval();
  parts.model()->eval();
  for (int64_t step = 0; step < 2; ++step) {
    DeviceBatch all = slice_of_batch(0, 16);
    const double whole_loss = whole.run(all, 0.1, step).loss.item<double>();
    std::vector<DeviceBatch> micro;
    for (int64_t i = 0; i < 4; ++i) micro.push_back(slice_of_batch(4 * i, 4));
    StepResult r = parts.run(micro, 0.1, step);
    EXPECT_EQ(r.logits.size(0), 16);
    EXPECT_NEAR(r.loss.item<double>(), whole_loss, 1e-5);
  }
  expect_same_update(start, weights_of(whole), weights_of(parts), 1e-4);
}

TEST(TrainStep, AccumulationOverTwoProcessesAllReducesTheLastMicroBatch) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  // Rank r takes images [8r, 8r + 8) of each batch of 16 in two micro-batches of 4: with the
  // all-reduce on the last micro-batch only, the update is the one of the batch of 16. An
  // all-reduce on every micro-batch would average the accumulated gradients twice.
  TrainStep whole(tiny_options(false), c10::Device(c10::kCPU), 4);
  const auto start = weights_of(whole);
  whole.model()->eval();
  for (int64_t step = 0; step < 2; ++step) {
    DeviceBatch all = slice_of_batch(0, 16);
    whole.run(all, 0.1, step);
  }
  std::vector<std::map<std::string, at::Tensor>> ranks(2);
  testing::run_ranks(2, [&](int rank, ProcessGroup& group) {
    TrainStep step(tiny_options(false), c10::Device(c10::kCPU), 4);
    load_model_state(*step.model(), start, "start");
    step.model()->eval();
    DataParallel ddp(step, std::shared_ptr<ProcessGroup>(&group, [](ProcessGroup*) {}),
                     DistConfig{});
    for (int64_t s = 0; s < 2; ++s) {
      std::vector<DeviceBatch> micro;
      for (int64_t i = 0; i < 2; ++i) micro.push_back(slice_of_batch(8 * rank + 4 * i, 4));
      step.run(micro, 0.1, s);
    }
    ranks[rank] = weights_of(step);
  });
  expect_same_update(start, weights_of(whole), ranks[0], 1e-4);
  for (const auto& [name, tensor] : ranks[0])
    EXPECT_TRUE(torch::equal(tensor, ranks[1].at(name))) << name << " differs between ranks";
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
    const at::Tensor before = step.model()->named_parameters()["fc.weight"].detach().clone();
    DeviceBatch b = batch_with_a_nan();
    StepResult r = step.run(b, 0.1, 0);
    EXPECT_TRUE(std::isnan(r.loss.item<double>()));
    EXPECT_EQ(r.stepped, !skip);
    const at::Tensor after = step.model()->named_parameters()["fc.weight"].detach();
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
