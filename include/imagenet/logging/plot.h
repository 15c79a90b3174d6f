// Line charts drawn as RGB images (OpenCV in plot.cpp) and written as PNG: series of (x, y)
// points on linear or log axes, with ticks, grid, axis labels, a title, a legend, shaded x
// ranges and labelled markers. For pictures the tool writes: the LR finder's curve, training
// curves.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

struct PlotColor {
  uint8_t r = 0, g = 0, b = 0;
};

/// matplotlib's first colours, so the pictures look familiar.
constexpr PlotColor kPlotBlue{31, 119, 180};
constexpr PlotColor kPlotOrange{255, 127, 14};
constexpr PlotColor kPlotGreen{44, 160, 44};
constexpr PlotColor kPlotRed{214, 39, 40};
constexpr PlotColor kPlotGrey{160, 160, 160};

enum class AxisScale { kLinear, kLog };

/// One line. Non-finite points (and, on a log axis, points <= 0) break the line.
struct PlotSeries {
  std::string label;  ///< shown in the legend; empty: not listed
  std::vector<double> x, y;
  PlotColor color = kPlotBlue;
  int line_width = 2;  ///< pixels
  bool dots = false;   ///< also draw a dot at each point
};

/// A labelled point, e.g. the LR finder's suggestion: a dot, a dashed vertical line to the x
/// axis and the label next to it.
struct PlotMarker {
  double x = 0, y = 0;
  std::string label;
  PlotColor color = kPlotRed;
};

/// A shaded x range, e.g. points a rule left out.
struct PlotBand {
  double x_from = 0, x_to = 0;
  std::string label;  ///< shown in the legend; empty: not listed
  PlotColor color{235, 235, 235};
};

struct LineChart {
  std::string title;
  std::string x_label, y_label;
  AxisScale x_scale = AxisScale::kLinear;
  AxisScale y_scale = AxisScale::kLinear;
  /// Axis limits; NaN means from the data (with a margin on the y axis).
  double x_min = NAN, x_max = NAN, y_min = NAN, y_max = NAN;
  int width = 1000, height = 640;   ///< pixels
  std::vector<PlotBand> bands;      ///< drawn first
  std::vector<PlotSeries> series;   ///< in order, later ones on top
  std::vector<PlotMarker> markers;  ///< drawn last
};

struct AxisTick {
  double value = 0;
  std::string label;  ///< empty for a minor tick
};

/// An axis: its range and ticks, and where a value falls on it.
struct PlotAxis {
  double lo = 0, hi = 1;
  AxisScale scale = AxisScale::kLinear;
  std::vector<AxisTick> ticks;

  /// Position of `value` along the axis: 0 at lo, 1 at hi (outside for values outside).
  double fraction(double value) const;
};

/// Ticks at 1, 2 or 5 x 10^k (linear), or at powers of ten with minor ticks at 2..9 (log;
/// 1-2-5 or every integer multiple when the range spans less than a decade), 4 to 10 labelled.
/// lo < hi; both > 0 on a log axis.
PlotAxis make_plot_axis(double lo, double hi, AxisScale scale);

/// Where the chart's parts are, in pixels, for a given chart (tests use it to find points).
struct ChartLayout {
  int left = 0, top = 0, right = 0, bottom = 0;  ///< the plotting area
  PlotAxis x, y;

  /// Pixel column and row of a data point (row 0 at the top).
  double column(double x_value) const;
  double row(double y_value) const;
};

/// Axes from the data and limits of `chart`. Throws RuntimeError when no series has a point
/// that can be drawn.
ChartLayout layout_line_chart(const LineChart& chart);

/// Packed rows of RGB pixels.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  ///< [height, width, 3]
};

RgbImage render_line_chart(const LineChart& chart);

/// Renders and writes `chart` as a PNG file (atomically). Throws RuntimeError naming the path.
void write_line_chart_png(const std::string& path, const LineChart& chart);

}  // namespace imagenet
