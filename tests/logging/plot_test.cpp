// Tests logging/plot: tick placement on linear and log axes, where points land in the picture,
// gaps at non-finite points, and a PNG that decodes back to the same pixels.
#include "imagenet/logging/plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::vector<std::string> labels(const PlotAxis& axis) {
  std::vector<std::string> out;
  for (const auto& t : axis.ticks)
    if (!t.label.empty()) out.push_back(t.label);
  return out;
}

using Labels = std::vector<std::string>;

TEST(PlotAxis, LinearTicksAreRoundNumbers) {
  EXPECT_EQ(labels(make_plot_axis(0, 1, AxisScale::kLinear)),
            (Labels{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_EQ(labels(make_plot_axis(1.93, 2.61, AxisScale::kLinear)),
            (Labels{"2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}));
  EXPECT_EQ(labels(make_plot_axis(-30, 95, AxisScale::kLinear)),
            (Labels{"-20", "0", "20", "40", "60", "80"}));
  EXPECT_EQ(labels(make_plot_axis(0.5, 7.5, AxisScale::kLinear)),
            (Labels{"1", "2", "3", "4", "5", "6", "7"}));
}

TEST(PlotAxis, LogTicksAreDecadesWithMinorTicksOr125InsideADecade) {
  PlotAxis wide = make_plot_axis(1e-3, 5, AxisScale::kLog);
  EXPECT_EQ(labels(wide), (Labels{"0.001", "0.01", "0.1", "1"}));
  EXPECT_EQ(wide.ticks.size(), 4u * 9 - 8 + 4);  // 1..9 in three decades, then 1..5
  EXPECT_EQ(labels(make_plot_axis(0.01, 0.5, AxisScale::kLog)),
            (Labels{"0.01", "0.02", "0.05", "0.1", "0.2", "0.5"}));
  EXPECT_EQ(labels(make_plot_axis(0.15, 0.95, AxisScale::kLog)),
            (Labels{"0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}));
  EXPECT_GE(labels(make_plot_axis(0.11, 0.19, AxisScale::kLog)).size(), 3u);
  // Sixteen decades: every second one labelled.
  EXPECT_EQ(labels(make_plot_axis(1e-10, 1e5, AxisScale::kLog)).size(), 8u);
}

TEST(PlotAxis, FractionIsLinearOrLogarithmic) {
  PlotAxis lin = make_plot_axis(2, 6, AxisScale::kLinear);
  EXPECT_DOUBLE_EQ(lin.fraction(2), 0);
  EXPECT_DOUBLE_EQ(lin.fraction(5), 0.75);
  PlotAxis log = make_plot_axis(1e-3, 10, AxisScale::kLog);
  EXPECT_DOUBLE_EQ(log.fraction(1e-3), 0);
  EXPECT_NEAR(log.fraction(0.1), 0.5, 1e-12);
  EXPECT_NEAR(log.fraction(10), 1, 1e-12);
}

LineChart example() {
  LineChart chart;
  chart.title = "test chart";
  chart.x_label = "learning rate";
  chart.y_label = "loss";
  chart.x_scale = AxisScale::kLog;
  chart.width = 640;
  chart.height = 400;
  PlotSeries s;
  s.label = "loss";
  s.color = kPlotBlue;
  s.line_width = 3;
  for (int i = 0; i <= 40; ++i) {
    s.x.push_back(std::pow(10.0, -3 + i * 0.1));  // 1e-3 to 10
    s.y.push_back(i == 20 ? NAN : 2.0 + std::sin(i * 0.2));
  }
  chart.series.push_back(s);
  return chart;
}

/// True when the pixel at (column, row), or one next to it, has `color` (lines are
/// anti-aliased, so the exact pixel may be blended).
bool has_color_near(const RgbImage& img, double column, double row, PlotColor color) {
  const int c0 = static_cast<int>(std::lround(column)), r0 = static_cast<int>(std::lround(row));
  for (int r = r0 - 1; r <= r0 + 1; ++r)
    for (int c = c0 - 1; c <= c0 + 1; ++c) {
      const uint8_t* p = &img.pixels[(static_cast<size_t>(r) * img.width + c) * 3];
      if (std::abs(p[0] - color.r) + std::abs(p[1] - color.g) + std::abs(p[2] - color.b) < 12)
        return true;
    }
  return false;
}

TEST(LineChart, DrawsEachPointWhereTheLayoutSays) {
  const LineChart chart = example();
  const ChartLayout layout = layout_line_chart(chart);
  EXPECT_GT(layout.left, 40);  // room for tick labels and the turned y label
  EXPECT_LT(layout.right, chart.width);
  EXPECT_GT(layout.top, 20);  // the title
  const RgbImage img = render_line_chart(chart);
  ASSERT_EQ(img.width, 640);
  ASSERT_EQ(img.height, 400);
  ASSERT_EQ(img.pixels.size(), 640u * 400 * 3);
  const PlotSeries& s = chart.series[0];
  for (size_t i = 0; i < s.x.size(); i += 3) {
    if (std::isnan(s.y[i])) continue;
    EXPECT_TRUE(has_color_near(img, layout.column(s.x[i]), layout.row(s.y[i]), s.color))
        << "point " << i;
  }
  // The NaN at point 20 breaks the line: nothing drawn halfway between points 19 and 21 ...
  const double mid_x = std::sqrt(s.x[19] * s.x[21]), mid_y = (s.y[19] + s.y[21]) / 2;
  EXPECT_FALSE(has_color_near(img, layout.column(mid_x), layout.row(mid_y), s.color));
  // ... while the same spot between two finite points is on the line.
  EXPECT_TRUE(has_color_near(img, layout.column(std::sqrt(s.x[10] * s.x[11])),
                             layout.row((s.y[10] + s.y[11]) / 2), s.color));
  // The corners stay white.
  EXPECT_EQ(img.pixels[0], 255);
  EXPECT_EQ(img.pixels[img.pixels.size() - 1], 255);
}

TEST(LineChart, MarkersAndBandsAreDrawn) {
  LineChart chart = example();
  PlotMarker m;
  m.x = 0.1;
  m.y = 2.5;
  m.label = "suggested lr 0.1";
  chart.markers.push_back(m);
  PlotBand band;
  band.x_from = 1e-3;
  band.x_to = 2e-3;
  band.color = PlotColor{200, 230, 200};
  chart.bands.push_back(band);
  const ChartLayout layout = layout_line_chart(chart);
  const RgbImage img = render_line_chart(chart);
  EXPECT_TRUE(has_color_near(img, layout.column(0.1), layout.row(2.5), kPlotRed));
  // The dashed line reaches down to the x axis.
  int red_below = 0;
  for (int row = static_cast<int>(layout.row(2.5)) + 10; row < layout.bottom; ++row)
    red_below += has_color_near(img, layout.column(0.1), row, kPlotRed);
  EXPECT_GT(red_below, 5);
  EXPECT_TRUE(has_color_near(img, layout.column(1.4e-3), (layout.top + layout.bottom) / 2.0 + 37,
                             band.color));
}

TEST(LineChart, WithoutDrawablePointsIsAnError) {
  LineChart chart;
  chart.x_scale = AxisScale::kLog;
  PlotSeries s;
  s.x = {0.0, -1.0, 1.0};  // nothing > 0 with a finite y
  s.y = {1.0, 2.0, NAN};
  chart.series.push_back(s);
  EXPECT_THROW(layout_line_chart(chart), RuntimeError);
}

TEST(LineChart, WritesAPngThatDecodesToTheSamePixels) {
  testing::TempDir dir;
  const LineChart chart = example();
  const std::string path = dir.file("chart.png");
  write_line_chart_png(path, chart);
  const std::string bytes = read_file(path);
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  ASSERT_EQ(detect_image_format(data, bytes.size()), ImageFormat::kPng);
  ImageDecoder decoder;
  const ImageInfo info = decoder.read_info(data, bytes.size());
  ASSERT_EQ(info.width, chart.width);
  ASSERT_EQ(info.height, chart.height);
  DecodedImage decoded;
  decoder.decode(data, bytes.size(), CropWindow{0, 0, info.width, info.height}, info.width,
                 info.height, &decoded);
  const RgbImage expected = render_line_chart(chart);
  ASSERT_EQ(decoded.width, chart.width);
  EXPECT_TRUE(decoded.pixels == expected.pixels);
}

}  // namespace
}  // namespace imagenet
