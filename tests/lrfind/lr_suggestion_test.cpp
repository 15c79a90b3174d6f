// Tests lrfind/lr_suggestion against numpy.gradient and Lightning's rule, as computed by
// tests/golden/lr_finder.py on fixed curves: clean, noisy, with NaN and inf, and too short;
// both slope rules (against the LR values and against the index).
#include "imagenet/lrfind/lr_suggestion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "imagenet/lrfind/lr_sweep.h"

namespace imagenet {
namespace {

std::vector<double> sweep_lrs(int64_t n) {
  LrSweepOptions o;
  o.min_lr = 1e-3;
  o.max_lr = 5.0;
  o.num_training = n;
  std::vector<double> lrs;
  for (int64_t k = 0; k < n; ++k) lrs.push_back(lr_sweep_lr(o, k));
  return lrs;
}

/// The curves of tests/golden/lr_finder.py: a fall around lr 0.03 and a rise around lr 2,
/// plus noise, or with NaN at steps 3, 20, 41 and inf at 33, 58.
std::vector<double> curve(const std::string& name, const std::vector<double>& lrs) {
  std::vector<double> out;
  for (size_t i = 0; i < lrs.size(); ++i) {
    const double t = std::log10(lrs[i]);
    const double base =
        2.3 - 1.2 / (1 + std::exp(-3.0 * (t + 1.5))) + 2.0 / (1 + std::exp(-6.0 * (t - 0.3)));
    const double k = static_cast<double>(i);
    if (name == "clean") out.push_back(base);
    if (name == "noisy") out.push_back(base + 0.25 * std::sin(2.3 * k) * std::cos(0.7 * k));
    if (name == "nonfinite") {
      const bool nan = i == 3 || i == 20 || i == 41, inf = i == 33 || i == 58;
      out.push_back(nan ? NAN : inf ? INFINITY : base + 0.1 * std::sin(1.7 * k));
    }
  }
  return out;
}

LrSuggestionOptions rule(LrSlope slope) {
  LrSuggestionOptions o;
  o.slope = slope;
  return o;
}

void expect_close(double got, double want) {
  EXPECT_NEAR(got, want, 1e-9 * std::fabs(want) + 1e-12);
}

TEST(NumpyGradient, ProducesNumpyValuesOnANonUniformGrid) {
  const std::vector<double> x = {0.1, 0.15, 0.3, 0.32, 0.8, 1.0};
  const std::vector<double> f = {3.0, 2.9, 2.5, 2.6, 1.0, 4.0};
  const std::vector<double> by_x = {-2.000000000000002, -2.1666666666666696, 4.098039215686285,
                                    4.666666666666633,  9.607843137254907,   15.000000000000004};
  const std::vector<double> by_index = {
      -0.10000000000000009, -0.25, -0.1499999999999999, -0.75, 0.7, 3.0};
  std::vector<double> g = numpy_gradient(f, x), h = numpy_gradient(f);
  for (size_t i = 0; i < f.size(); ++i) {
    expect_close(g[i], by_x[i]);
    expect_close(h[i], by_index[i]);
  }
  // Exact for a quadratic on any grid, inside and (first order) not at the ends.
  std::vector<double> q;
  for (double v : x) q.push_back(3 * v * v - v);
  g = numpy_gradient(q, x);
  for (size_t i = 1; i + 1 < x.size(); ++i) expect_close(g[i], 6 * x[i] - 1);
}

struct Golden {
  const char* curve;
  LrSlope slope;
  int64_t index;
  double lr;
  std::vector<double> gradient;  // at window positions 0, 1, 5, -2, -1
  int64_t points;
};

TEST(SuggestLr, ProducesLightningsSuggestionOnFixedCurves) {
  const std::vector<Golden> cases = {
      {"clean",
       LrSlope::kLr,
       21,
       0.006512884867768241,
       {-21.614390583379993, -21.789904606572236, -23.10350794686201, 0.13579217296887647,
        0.1181569390530788},
       89},
      {"clean",
       LrSlope::kIndex,
       40,
       0.03285320183364724,
       {-0.004904020829179068, -0.005167304712924592, -0.007701201726222795, 0.04831225062149991,
        0.044296809439535956},
       89},
      {"noisy",
       LrSlope::kLr,
       14,
       0.003587942716300281,
       {709.4781934418011, 189.88049839481664, 188.8261383578929, 0.03570830163211802,
        -0.2850989697634922},
       89},
      {"noisy",
       LrSlope::kIndex,
       45,
       0.05029516091735804,
       {0.1609712670392045, 0.03404963379549475, 0.05456524602307633, 0.0034218186766297176,
        -0.10688305601204018},
       89},
      {"nonfinite",
       LrSlope::kLr,
       13,
       0.003295002895791603,
       {336.4488878267739, 387.46068061965434, 266.0819053186956, 0.17184858647010914,
        -0.17389015552051423},
       85},
      {"nonfinite",
       LrSlope::kIndex,
       35,
       0.02145997449925366,
       {0.07633582577735654, 0.09289221488818677, 0.08485237364350673, 0.05164503608643667,
        -0.0651910852145825},
       85},
  };
  const std::vector<double> lrs = sweep_lrs(100);
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.curve) + ", slope " + to_string(c.slope));
    const std::vector<double> losses = curve(c.curve, lrs);
    LrSuggestion s = suggest_lr(lrs, losses, rule(c.slope));
    ASSERT_TRUE(s.found) << s.reason;
    EXPECT_EQ(s.index, c.index);
    expect_close(s.lr, c.lr);
    EXPECT_EQ(s.points_used, c.points);

    // The gradient over the window, as numpy computed it.
    std::vector<double> x, f;
    for (size_t i = 10; i + 1 < lrs.size(); ++i) {
      if (!std::isfinite(losses[i])) continue;
      x.push_back(lrs[i]);
      f.push_back(losses[i]);
    }
    ASSERT_EQ(static_cast<int64_t>(f.size()), c.points);
    std::vector<double> g = c.slope == LrSlope::kLr ? numpy_gradient(f, x) : numpy_gradient(f);
    const size_t n = g.size();
    const size_t at[] = {0, 1, 5, n - 2, n - 1};
    for (size_t j = 0; j < 5; ++j) expect_close(g[at[j]], c.gradient[j]);
    expect_close(s.slope, *std::min_element(g.begin(), g.end()));
  }
}

TEST(SuggestLr, NeedsTwoPointsAfterTheSkippedOnes) {
  struct Short {
    int64_t n;
    LrSlope slope;
    int64_t index;  // -1: none
  };
  for (const Short& c : std::vector<Short>{{12, LrSlope::kLr, -1},
                                           {12, LrSlope::kIndex, -1},
                                           {13, LrSlope::kLr, 10},
                                           {13, LrSlope::kIndex, 10},
                                           {14, LrSlope::kLr, 12},
                                           {14, LrSlope::kIndex, 10}}) {
    const std::vector<double> lrs = sweep_lrs(c.n);
    LrSuggestion s = suggest_lr(lrs, curve("clean", lrs), rule(c.slope));
    EXPECT_EQ(s.found, c.index >= 0) << c.n;
    EXPECT_EQ(s.index, c.index) << c.n << " " << to_string(c.slope);
    if (!s.found) {
      EXPECT_EQ(s.points_used, 1);
      EXPECT_NE(s.reason.find("the slope needs at least 2"), std::string::npos) << s.reason;
    } else {
      EXPECT_DOUBLE_EQ(s.lr, lrs[static_cast<size_t>(c.index)]);
    }
  }
  // Every point of the window non-finite: nothing to suggest.
  std::vector<double> lrs = sweep_lrs(30), losses(30, NAN);
  EXPECT_FALSE(suggest_lr(lrs, losses, rule(LrSlope::kLr)).found);
}

TEST(SuggestLr, SkipEndZeroKeepsTheLastPoint) {
  // Lightning's losses[skip_begin:-0] would be empty; here 0 means none left out.
  const std::vector<double> lrs = {0.1, 0.2, 0.3, 0.4};
  const std::vector<double> losses = {3.0, 2.9, 2.5, 1.0};
  LrSuggestionOptions o = rule(LrSlope::kIndex);
  o.skip_begin = 0;
  o.skip_end = 0;
  LrSuggestion s = suggest_lr(lrs, losses, o);
  ASSERT_TRUE(s.found);
  EXPECT_EQ(s.index, 3);
  EXPECT_EQ(s.points_used, 4);
  o.skip_end = 1;
  EXPECT_EQ(suggest_lr(lrs, losses, o).index, 2);  // 2.5 - 2.9 at the new last point
}

TEST(SuggestLr, TiesPickTheFirstMinimumAsArgmin) {
  const std::vector<double> lrs = {1, 2, 3, 4, 5, 6};
  const std::vector<double> losses = {5, 4, 3, 2, 1, 0};  // the same slope everywhere
  LrSuggestionOptions o = rule(LrSlope::kLr);
  o.skip_begin = 1;
  o.skip_end = 1;
  EXPECT_EQ(suggest_lr(lrs, losses, o).index, 1);
}

}  // namespace
}  // namespace imagenet
