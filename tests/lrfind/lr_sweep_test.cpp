// Tests lrfind/lr_sweep against Lightning's schedulers and _LRCallback, run in Python by
// tests/golden/lr_finder.py: the LR of every step (with its off-by-one), the bias-corrected
// smoothing and the early stop.
#include "imagenet/lrfind/lr_sweep.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

LrSweepOptions options(double min_lr, double max_lr, int64_t n, LrSweepMode mode) {
  LrSweepOptions o;
  o.min_lr = min_lr;
  o.max_lr = max_lr;
  o.num_training = n;
  o.mode = mode;
  return o;
}

/// Feeds `losses` to a sweep until it ends; returns the smoothed losses it recorded.
std::vector<double> smoothed(LrSweep& sweep, const std::vector<double>& losses) {
  for (double loss : losses)
    if (!sweep.record(loss)) break;
  std::vector<double> out;
  for (const auto& p : sweep.points()) out.push_back(p.smoothed_loss);
  return out;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-13 * std::fabs(want[i])) << "point " << i;
}

TEST(LrSweep, LrOfEveryStepIsLightnings) {
  struct Case {
    LrSweepOptions options;
    std::vector<std::pair<int64_t, double>> expected;  // (step, lr) from PyTorch + Lightning
  };
  const std::vector<Case> cases = {
      {options(1e-3, 5.0, 100, LrSweepMode::kExponential),
       {{0, 0.001},
        {1, 0.0011857125048689106},
        {2, 0.001291127407172888},
        {50, 0.07699715919658695},
        {98, 4.5917718820066},
        {99, 5.0}}},
      {options(1e-3, 5.0, 100, LrSweepMode::kLinear),
       {{0, 0.001}, {1, 0.10098}, {2, 0.15097}, {50, 2.55049}, {98, 4.95001}, {99, 5.0}}},
      {options(1e-8, 1.0, 7, LrSweepMode::kExponential),
       {{0, 1e-08},
        {1, 1.9306977288832498e-06},
        {2, 2.6826957952797247e-05},
        {3, 0.0003727593720314938},
        {5, 0.07196856730011514},
        {6, 1.0}}},
      {options(0.01, 0.5, 7, LrSweepMode::kLinear),
       {{0, 0.01}, {1, 0.15}, {2, 0.22}, {3, 0.29}, {5, 0.43}, {6, 0.5}}},
  };
  for (const auto& c : cases)
    for (const auto& [step, lr] : c.expected)
      EXPECT_NEAR(lr_sweep_lr(c.options, step), lr, 1e-14 + 1e-12 * lr)
          << to_string(c.options.mode) << " step " << step;
}

TEST(LrSweep, RecordsTheLrOfEachStepAndEndsAfterNumTraining) {
  LrSweepOptions o = options(1e-3, 5.0, 20, LrSweepMode::kExponential);
  o.early_stop_threshold = 0;
  LrSweep sweep(o);
  for (int k = 0; k < 20; ++k) {
    ASSERT_FALSE(sweep.done());
    EXPECT_DOUBLE_EQ(sweep.next_lr(), lr_sweep_lr(o, k));
    EXPECT_EQ(sweep.record(2.0 - 0.01 * k), k + 1 < 20);
  }
  EXPECT_EQ(sweep.end(), LrSweepEnd::kFinished);
  ASSERT_EQ(sweep.points().size(), 20u);
  EXPECT_EQ(sweep.points()[7].step, 7);
  EXPECT_DOUBLE_EQ(sweep.points()[7].lr, lr_sweep_lr(o, 7));
  EXPECT_DOUBLE_EQ(sweep.points()[7].loss, 1.93);
  EXPECT_DOUBLE_EQ(sweep.points().back().lr, 5.0);
  EXPECT_THROW(sweep.record(1.0), RuntimeError);
}

TEST(LrSweep, SmoothingIsLightningsWithItsBiasCorrection) {
  const std::vector<double> raw = {2.5, 2.4, 2.45, 2.3, 2.2, 2.25, 2.0, 1.9, 2.1, 1.8, 1.7, 1.75};
  LrSweepOptions o = options(1e-3, 1.0, 12, LrSweepMode::kExponential);
  o.early_stop_threshold = 0;
  LrSweep a(o);
  expect_near_all(smoothed(a, raw),
                  {1.2626262626262612, 1.6494354509590523, 1.8556818954696928, 1.948171859943152,
                   1.992291234885062, 2.031375186685539, 2.027170439681368, 2.0118719461018806,
                   2.021507260829958, 1.999275237713083, 1.971472312850083, 1.9522953621369261});
  o.beta = 0.9;
  LrSweep b(o);
  expect_near_all(smoothed(b, raw),
                  {1.3157894736842106, 1.7158671586715868, 1.9293399243966267, 2.019852995042856,
                   2.0583000219822902, 2.0950450553197784, 2.078356805408869, 2.0492411065965284,
                   2.057034322195174, 2.0195761042847025, 1.975040254423006, 1.944866453678337});
}

TEST(LrSweep, StopsWhenTheSmoothedLossExceedsThresholdTimesTheBest) {
  const std::vector<double> diverging = {2.0, 1.8, 1.6,  1.5,  1.4,   1.3,   1.5,
                                         3.0, 9.0, 30.0, 90.0, 300.0, 900.0, 2000.0};
  LrSweep a(options(1e-3, 1.0, 100, LrSweepMode::kExponential));  // threshold 4
  expect_near_all(smoothed(a, diverging),
                  {1.010101010101009, 1.2787375867228943, 1.3615032182671432, 1.390332928989153,
                   1.3920265646980987, 1.3780698728586895, 1.3944103441347349, 1.587561386964269,
                   2.3979863967088817, 5.168318178165756});
  EXPECT_EQ(a.end(), LrSweepEnd::kDiverged);
  // The step that diverged is kept, and the best loss is the one before it (step 1's).
  EXPECT_DOUBLE_EQ(a.best_loss(), 1.010101010101009);
  EXPECT_NE(a.describe_end().find("stopped early at step 10 of 100"), std::string::npos)
      << a.describe_end();

  LrSweepOptions o = options(1e-3, 1.0, 100, LrSweepMode::kExponential);
  o.early_stop_threshold = 1.2;
  LrSweep b(o);
  expect_near_all(smoothed(b, diverging), {1.010101010101009, 1.2787375867228943});
  EXPECT_EQ(b.end(), LrSweepEnd::kDiverged);

  o.early_stop_threshold = 0;  // off: the whole range
  LrSweep c(o);
  EXPECT_EQ(smoothed(c, diverging).size(), diverging.size());
  EXPECT_FALSE(c.done());
}

TEST(LrSweep, DivergingAtTheLastStepStillFinishes) {
  // Lightning reports an early stop only when fewer than num_training steps ran.
  LrSweep sweep(options(1e-3, 1.0, 3, LrSweepMode::kExponential));
  smoothed(sweep, {1.0, 1.0, 1000.0});
  EXPECT_EQ(sweep.end(), LrSweepEnd::kFinished);
}

TEST(LrSweep, NonFiniteLossEndsTheSweep) {
  LrSweepOptions o = options(1e-3, 1.0, 10, LrSweepMode::kExponential);
  o.early_stop_threshold = 0;
  LrSweep sweep(o);
  EXPECT_EQ(smoothed(sweep, {2.0, 1.9, NAN, 1.0}).size(), 3u);
  EXPECT_EQ(sweep.end(), LrSweepEnd::kNonFinite);
  EXPECT_NE(sweep.describe_end().find("the training loss became nan"), std::string::npos)
      << sweep.describe_end();
  LrSweep stopped(o);
  stopped.record(2.0);
  stopped.stop();
  EXPECT_EQ(stopped.end(), LrSweepEnd::kStopped);
  EXPECT_NE(stopped.describe_end().find("by a signal"), std::string::npos);
}

TEST(LrSweep, OptionsOutOfRangeNameTheFlag) {
  auto message = [](LrSweepOptions o) {
    try {
      check_lr_sweep_options(o);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  LrSweepOptions good;
  EXPECT_EQ(message(good), "");
  LrSweepOptions o = good;
  o.min_lr = 0;
  EXPECT_NE(message(o).find("--min_lr 0"), std::string::npos);
  o = good;
  o.max_lr = good.min_lr;
  EXPECT_NE(message(o).find("--max_lr"), std::string::npos);
  o = good;
  o.num_training = 0;
  EXPECT_NE(message(o).find("--num_training 0"), std::string::npos);
  o = good;
  o.beta = 1;
  EXPECT_NE(message(o).find("--beta 1"), std::string::npos);
  o = good;
  o.early_stop_threshold = 0.5;
  EXPECT_NE(message(o).find("--early_stop_threshold 0.5"), std::string::npos);
}

}  // namespace
}  // namespace imagenet
