// Tests lrfind/lr_find_report: the CSV's rows, the chart's parts (both LR values in the marker,
// the left-out points shaded, an early stop marked as such) and the files it writes.
#include "imagenet/lrfind/lr_find_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

/// A finished 40-step sweep on a curve with its fastest fall around lr 0.05.
LrFindReport example_report() {
  LrFindReport r;
  r.sweep.min_lr = 1e-4;
  r.sweep.max_lr = 1.0;
  r.sweep.num_training = 40;
  r.sweep.early_stop_threshold = 0;
  LrSweep sweep(r.sweep);
  while (!sweep.done()) {
    const double t = std::log10(sweep.next_lr());
    sweep.record(2.3 - 1.5 / (1 + std::exp(-4 * (t + 1.3))) + 0.05 * std::sin(7 * t));
  }
  r.points = sweep.points();
  r.end = sweep.end();
  r.lr_scale = 0.5;
  r.run_description = "resnet18, total batch 128";
  r.suggestion = suggest_lr(sweep_lrs(r.points), sweep_smoothed_losses(r.points), r.rule);
  return r;
}

TEST(LrFindReport, CsvHasOneRowPerStep) {
  std::vector<LrSweepPoint> points = {{0, 0.001, 2.5, 1.2626262626262612},
                                      {1, 0.0011857125048689106, NAN, NAN},
                                      {2, 0.002, INFINITY, 3.0}};
  EXPECT_EQ(lr_find_csv(points),
            "step,lr,loss,smoothed_loss\n"
            "0,0.001,2.5,1.2626262626262612\n"
            "1,0.0011857125048689106,nan,nan\n"
            "2,0.002,inf,3\n");
}

TEST(LrFindReport, ConfigValuesHaveThreeSignificantDigits) {
  EXPECT_EQ(format_lr_for_config(0.35712), "0.357");
  EXPECT_EQ(format_lr_for_config(0.000123456), "0.000123");
  EXPECT_EQ(format_lr_for_config(2.0), "2");
  EXPECT_EQ(format_lr_for_config(1.23456e-5), "1.23e-05");
}

TEST(LrFindReport, ChartMarksTheSuggestionWithBothLrValues) {
  const LrFindReport r = example_report();
  ASSERT_TRUE(r.suggestion.found);
  const LineChart chart = lr_find_chart(r);
  EXPECT_EQ(chart.x_scale, AxisScale::kLog);
  ASSERT_EQ(chart.series.size(), 2u);
  EXPECT_EQ(chart.series[1].y.size(), 40u);
  EXPECT_EQ(chart.series[1].y[7], r.points[7].smoothed_loss);
  ASSERT_EQ(chart.markers.size(), 1u);
  const PlotMarker& m = chart.markers[0];
  EXPECT_EQ(m.x, r.suggestion.lr);
  EXPECT_EQ(m.y, r.points[static_cast<size_t>(r.suggestion.index)].smoothed_loss);
  EXPECT_NE(m.label.find(str_printf("suggested lr %.3g = config lr %s", r.suggestion.lr,
                                    format_lr_for_config(r.suggestion.lr / 0.5).c_str())),
            std::string::npos)
      << m.label;
  EXPECT_NE(m.label.find("steepest slope vs lr"), std::string::npos) << m.label;
  // The first 10 points and the last one are shaded, the rest not.
  ASSERT_EQ(chart.bands.size(), 2u);
  EXPECT_LT(chart.bands[0].x_to, r.points[10].lr);
  EXPECT_GT(chart.bands[0].x_to, r.points[9].lr);
  EXPECT_LT(chart.bands[1].x_from, r.points[39].lr);
  EXPECT_GT(chart.bands[1].x_from, r.points[38].lr);
  EXPECT_NE(chart.x_label.find("this / 0.5"), std::string::npos) << chart.x_label;
  EXPECT_NE(chart.title.find("resnet18, total batch 128, 40 steps from lr 1e-04 to 1"),
            std::string::npos)
      << chart.title;
}

TEST(LrFindReport, AnEarlyStopIsMarkedAsNoSuggestion) {
  LrFindReport r = example_report();
  r.end = LrSweepEnd::kDiverged;
  const LineChart chart = lr_find_chart(r);
  ASSERT_EQ(chart.markers.size(), 1u);
  EXPECT_NE(chart.markers[0].label.find("stopped early: no suggestion"), std::string::npos);
  r.suggestion = LrSuggestion{};
  EXPECT_TRUE(lr_find_chart(r).markers.empty());
}

TEST(LrFindReport, WritesTheCsvAndAPng) {
  testing::TempDir dir;
  const LrFindReport r = example_report();
  std::vector<std::string> files = write_lr_find_outputs(dir.file("out"), r);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(read_file(files[0]), lr_find_csv(r.points));
  const std::string png = read_file(files[1]);
  ImageDecoder decoder;
  const ImageInfo info =
      decoder.read_info(reinterpret_cast<const uint8_t*>(png.data()), png.size());
  EXPECT_EQ(info.format, ImageFormat::kPng);
  EXPECT_EQ(info.width, 1000);
  EXPECT_EQ(info.height, 640);
}

}  // namespace
}  // namespace imagenet
