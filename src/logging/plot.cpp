// Implements logging/plot.h with OpenCV's drawing functions (anti-aliased lines, Hershey
// fonts, so text is ASCII) on an RGB image; stb writes the PNG.
#include "imagenet/logging/plot.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "imagenet/image/image_encoder.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTickFont = 0.45, kLabelFont = 0.55, kTitleFont = 0.65;
const cv::Scalar kWhite(255, 255, 255), kAxisColor(60, 60, 60), kGridColor(225, 225, 225);
constexpr int kShift = 4;  // sub-pixel bits of line coordinates (1/16 px)

cv::Scalar to_scalar(PlotColor c) {
  return cv::Scalar(c.r, c.g, c.b);  // the image holds RGB, so no BGR swap
}

bool drawable(double v, AxisScale scale) {
  return std::isfinite(v) && (scale == AxisScale::kLinear || v > 0);
}

cv::Size text_size(const std::string& text, double scale, int thickness = 1) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, thickness, &baseline);
}

/// Writes `text` with its bottom-left corner at `origin` (OpenCV's convention).
void put_text(cv::Mat& img, const std::string& text, cv::Point origin, double scale,
              const cv::Scalar& color, int thickness = 1) {
  cv::putText(img, text, origin, kFont, scale, color, thickness, cv::LINE_AA);
}

/// "0.25", "1e-05", "3": short labels without float noise such as 0.30000000000000004.
std::string tick_label(double value, double step) {
  const double magnitude = std::fabs(value);
  if (value != 0 && (magnitude < 1e-4 || magnitude >= 1e6)) return str_printf("%g", value);
  int decimals = step > 0 ? std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9))) : 6;
  std::string text = str_printf("%.*f", std::min(decimals, 10), value);
  return text;
}

std::vector<AxisTick> linear_ticks(double lo, double hi) {
  // The smallest step of 1, 2 or 5 x 10^k that gives at most 8 ticks.
  double power = std::pow(10.0, std::floor(std::log10(hi - lo)) - 1);
  double step = power;
  for (int i = 0; std::floor(hi / step) - std::ceil(lo / step) + 1 > 8; ++i) {
    step = power * (i % 3 == 0 ? 2 : i % 3 == 1 ? 5 : 10);
    if (i % 3 == 2) power *= 10;
  }
  std::vector<AxisTick> ticks;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k += 1) {
    double v = k * step;
    if (std::fabs(v) < 1e-12 * step) v = 0;
    ticks.push_back({v, tick_label(v, step)});
  }
  return ticks;
}

std::vector<AxisTick> log_ticks(double lo, double hi) {
  const int first = static_cast<int>(std::floor(std::log10(lo)));
  const int last = static_cast<int>(std::ceil(std::log10(hi)));
  auto in_range = [&](double v) { return v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9); };
  // Labelled multiples of each power of ten: decades, else 1-2-5, else every integer.
  const std::vector<std::vector<int>> choices = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  std::vector<int> labelled = choices.back();
  for (const auto& multiples : choices) {
    int count = 0;
    for (int d = first; d <= last; ++d)
      for (int m : multiples) count += in_range(m * std::pow(10.0, d));
    if (count >= 3) {
      labelled = multiples;
      break;
    }
  }
  // Many decades: label every second (third, ...) one so the labels do not collide.
  const int decades = last - first + 1;
  const int every = labelled.size() == 1 ? std::max(1, (decades + 9) / 10) : 1;
  std::vector<AxisTick> ticks;
  int labels = 0;
  for (int d = first; d <= last; ++d) {
    for (int m = 1; m <= 9; ++m) {
      const double v = m * std::pow(10.0, d);
      if (!in_range(v)) continue;
      const bool is_labelled = std::find(labelled.begin(), labelled.end(), m) != labelled.end() &&
                               (m != 1 || labelled.size() > 1 || (d - first) % every == 0);
      ticks.push_back({v, is_labelled ? str_printf("%g", v) : std::string()});
      labels += is_labelled;
    }
  }
  // Within one integer multiple (0.11 to 0.19): the linear ticks, at their log positions.
  if (labels < 2) return linear_ticks(lo, hi);
  return ticks;
}

/// The range of the drawable values, widened by `margin` (a fraction of the axis) each side.
void data_range(const std::vector<double>& values, AxisScale scale, double margin, double* lo,
                double* hi) {
  double a = INFINITY, b = -INFINITY;
  for (double v : values) {
    if (!drawable(v, scale)) continue;
    a = std::min(a, v);
    b = std::max(b, v);
  }
  if (!(a <= b)) return;  // no data: keep what was given
  if (scale == AxisScale::kLog) {
    double la = std::log10(a), lb = std::log10(b);
    if (lb - la < 1e-9) la -= 0.5, lb += 0.5;
    const double pad = margin * (lb - la);
    if (std::isnan(*lo)) *lo = std::pow(10.0, la - pad);
    if (std::isnan(*hi)) *hi = std::pow(10.0, lb + pad);
  } else {
    if (b - a < 1e-12 * std::max(1.0, std::fabs(a))) {
      const double half = std::max(std::fabs(a) * 0.1, 0.5);
      a -= half, b += half;
    }
    const double pad = margin * (b - a);
    if (std::isnan(*lo)) *lo = a - pad;
    if (std::isnan(*hi)) *hi = b + pad;
  }
}

PlotAxis axis_for(std::vector<double> values, double lo, double hi, AxisScale scale, double margin,
                  const char* name) {
  data_range(values, scale, margin, &lo, &hi);
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi) || (scale == AxisScale::kLog && lo <= 0))
    throw RuntimeError(str_cat("cannot plot: the ", name, " axis has no usable range (",
                               format_number(lo), " to ", format_number(hi), ")"));
  return make_plot_axis(lo, hi, scale);
}

/// A dashed vertical line from y0 to y1 (pixels) at column x.
void dashed_vertical(cv::Mat& img, int x, int y0, int y1, const cv::Scalar& color) {
  for (int y = std::min(y0, y1); y < std::max(y0, y1); y += 10)
    cv::line(img, {x, y}, {x, std::min(y + 5, std::max(y0, y1))}, color, 1, cv::LINE_8);
}

/// Text on a white box with a thin border, its top-left corner at `corner`.
void boxed_text(cv::Mat& img, const std::string& text, cv::Point corner, const cv::Scalar& color) {
  const cv::Size size = text_size(text, kLabelFont);
  cv::Rect box(corner.x, corner.y, size.width + 12, size.height + 14);
  cv::rectangle(img, box, kWhite, cv::FILLED);
  cv::rectangle(img, box, color, 1, cv::LINE_AA);
  put_text(img, text, {corner.x + 6, corner.y + size.height + 6}, kLabelFont, color);
}

/// The corner of the plotting area (top right first) where a box of `size` covers the
/// fewest points of the series.
cv::Rect least_covered_corner(const LineChart& chart, const ChartLayout& L, cv::Size size) {
  const int pad = 10;
  const std::vector<cv::Rect> corners = {
      {L.right - pad - size.width, L.top + pad, size.width, size.height},
      {L.left + pad, L.top + pad, size.width, size.height},
      {L.right - pad - size.width, L.bottom - pad - size.height, size.width, size.height},
      {L.left + pad, L.bottom - pad - size.height, size.width, size.height}};
  size_t best = 0;
  int best_count = -1;
  for (size_t c = 0; c < corners.size(); ++c) {
    int count = 0;
    for (const auto& s : chart.series)
      for (size_t i = 0; i < s.x.size(); ++i)
        if (drawable(s.x[i], chart.x_scale) && drawable(s.y[i], chart.y_scale))
          count += corners[c].contains(cv::Point(int(L.column(s.x[i])), int(L.row(s.y[i]))));
    if (best_count < 0 || count < best_count) best = c, best_count = count;
  }
  return corners[best];
}

}  // namespace

double PlotAxis::fraction(double value) const {
  if (scale == AxisScale::kLog)
    return (std::log10(value) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  return (value - lo) / (hi - lo);
}

PlotAxis make_plot_axis(double lo, double hi, AxisScale scale) {
  IMAGENET_CHECK(lo < hi && (scale == AxisScale::kLinear || lo > 0), "make_plot_axis: range ", lo,
                 " to ", hi);
  PlotAxis axis;
  axis.lo = lo;
  axis.hi = hi;
  axis.scale = scale;
  axis.ticks = scale == AxisScale::kLog ? log_ticks(lo, hi) : linear_ticks(lo, hi);
  return axis;
}

double ChartLayout::column(double x_value) const {
  return left + x.fraction(x_value) * (right - left);
}

double ChartLayout::row(double y_value) const {
  return bottom - y.fraction(y_value) * (bottom - top);
}

ChartLayout layout_line_chart(const LineChart& chart) {
  std::vector<double> xs, ys;
  for (const auto& s : chart.series) {
    IMAGENET_CHECK(s.x.size() == s.y.size(), "plot series '", s.label, "': ", s.x.size(),
                   " x values for ", s.y.size(), " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!drawable(s.x[i], chart.x_scale) || !drawable(s.y[i], chart.y_scale)) continue;
      xs.push_back(s.x[i]);
      ys.push_back(s.y[i]);
    }
  }
  if (xs.empty()) throw RuntimeError("cannot plot '" + chart.title + "': no finite points");
  for (const auto& m : chart.markers) xs.push_back(m.x);

  ChartLayout layout;
  layout.x = axis_for(xs, chart.x_min, chart.x_max, chart.x_scale, 0.02, "x");
  layout.y = axis_for(ys, chart.y_min, chart.y_max, chart.y_scale, 0.06, "y");

  // Margins fit the tick labels, the axis labels and the title.
  int widest = 0;
  for (const auto& t : layout.y.ticks)
    widest = std::max(widest, text_size(t.label, kTickFont).width);
  const int text_height = text_size("0", kLabelFont).height;
  layout.left = 20 + (chart.y_label.empty() ? 0 : text_height + 14) + widest;
  layout.right = chart.width - 30;
  layout.top = 20 + (chart.title.empty() ? 0 : text_size("0", kTitleFont).height + 20);
  layout.bottom =
      chart.height - (26 + text_height + (chart.x_label.empty() ? 0 : text_height + 16));
  IMAGENET_CHECK(layout.right - layout.left > 50 && layout.bottom - layout.top > 50, "plot of ",
                 chart.width, "x", chart.height, " pixels is too small");
  return layout;
}

RgbImage render_line_chart(const LineChart& chart) {
  const ChartLayout L = layout_line_chart(chart);
  cv::Mat img(chart.height, chart.width, CV_8UC3, kWhite);
  const cv::Rect area(L.left, L.top, L.right - L.left, L.bottom - L.top);
  cv::Mat plot = img(area);            // drawing here clips lines at the axes
  auto px = [&](double x, double y) {  // sub-pixel point inside `plot`
    return cv::Point(static_cast<int>(std::lround((L.column(x) - L.left) * (1 << kShift))),
                     static_cast<int>(std::lround((L.row(y) - L.top) * (1 << kShift))));
  };

  // Shaded ranges, then the grid at labelled ticks.
  for (const auto& band : chart.bands) {
    const double a = std::clamp(L.column(band.x_from), double(L.left), double(L.right));
    const double b = std::clamp(L.column(band.x_to), double(L.left), double(L.right));
    cv::rectangle(img, cv::Point(int(std::lround(std::min(a, b))), L.top),
                  cv::Point(int(std::lround(std::max(a, b))), L.bottom), to_scalar(band.color),
                  cv::FILLED);
  }
  for (const auto& t : L.x.ticks) {
    const int x = int(std::lround(L.column(t.value)));
    if (!t.label.empty()) cv::line(img, {x, L.top}, {x, L.bottom}, kGridColor, 1);
    cv::line(img, {x, L.bottom}, {x, L.bottom + (t.label.empty() ? 3 : 6)}, kAxisColor, 1);
    if (t.label.empty()) continue;
    const cv::Size s = text_size(t.label, kTickFont);
    put_text(img, t.label, {x - s.width / 2, L.bottom + 10 + s.height}, kTickFont, kAxisColor);
  }
  for (const auto& t : L.y.ticks) {
    const int y = int(std::lround(L.row(t.value)));
    if (!t.label.empty()) cv::line(img, {L.left, y}, {L.right, y}, kGridColor, 1);
    cv::line(img, {L.left - (t.label.empty() ? 3 : 6), y}, {L.left, y}, kAxisColor, 1);
    if (t.label.empty()) continue;
    const cv::Size s = text_size(t.label, kTickFont);
    put_text(img, t.label, {L.left - 10 - s.width, y + s.height / 2}, kTickFont, kAxisColor);
  }

  // The series: one polyline per run of drawable points.
  for (const auto& s : chart.series) {
    std::vector<cv::Point> run;
    auto flush = [&] {
      if (run.size() >= 2)
        cv::polylines(plot, run, false, to_scalar(s.color), s.line_width, cv::LINE_AA, kShift);
      run.clear();
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!drawable(s.x[i], chart.x_scale) || !drawable(s.y[i], chart.y_scale)) {
        flush();
        continue;
      }
      run.push_back(px(s.x[i], s.y[i]));
      if (s.dots)
        cv::circle(plot, run.back(), (s.line_width + 2) << kShift, to_scalar(s.color), cv::FILLED,
                   cv::LINE_AA, kShift);
    }
    flush();
  }
  cv::rectangle(img, area, kAxisColor, 1);

  // Markers: a dashed line down to the x axis, a dot, and the label beside it.
  for (const auto& m : chart.markers) {
    const int x = int(std::lround(L.column(m.x)));
    const int y = int(std::lround(L.row(m.y)));
    const cv::Scalar color = to_scalar(m.color);
    dashed_vertical(img, x, std::clamp(y, L.top, L.bottom), L.bottom, color);
    cv::circle(img, {x, y}, 7, kWhite, cv::FILLED, cv::LINE_AA);
    cv::circle(img, {x, y}, 5, color, cv::FILLED, cv::LINE_AA);
    if (m.label.empty()) continue;
    const cv::Size s = text_size(m.label, kLabelFont);
    const int box_width = s.width + 12, box_height = s.height + 14;
    int bx = x + 12 + box_width <= L.right ? x + 12 : x - 12 - box_width;
    int by = std::clamp(y - 20 - box_height, L.top + 4, L.bottom - box_height - 4);
    boxed_text(img, m.label, {std::max(bx, L.left + 4), by}, color);
  }

  // Legend, in the corner of the plotting area that hides the fewest points.
  std::vector<std::pair<std::string, std::pair<PlotColor, bool>>> entries;  // label, (colour, band)
  for (const auto& band : chart.bands)
    if (!band.label.empty()) entries.push_back({band.label, {band.color, true}});
  for (const auto& s : chart.series)
    if (!s.label.empty()) entries.push_back({s.label, {s.color, false}});
  if (!entries.empty()) {
    int width = 0;
    const int line_height = text_size("0", kLabelFont).height + 12;
    for (const auto& e : entries) width = std::max(width, text_size(e.first, kLabelFont).width);
    const cv::Size size(width + 50, line_height * int(entries.size()) + 8);
    const cv::Rect box = least_covered_corner(chart, L, size);
    cv::rectangle(img, box, kWhite, cv::FILLED);
    cv::rectangle(img, box, kGridColor, 1);
    for (size_t i = 0; i < entries.size(); ++i) {
      const int y = box.y + 4 + line_height * int(i) + line_height / 2;
      const auto& [color, is_band] = entries[i].second;
      if (is_band) {
        cv::rectangle(img, cv::Rect(box.x + 8, y - 6, 24, 12), to_scalar(color), cv::FILLED);
      } else {
        cv::line(img, {box.x + 8, y}, {box.x + 32, y}, to_scalar(color), 2, cv::LINE_AA);
      }
      put_text(img, entries[i].first, {box.x + 40, y + text_size("0", kLabelFont).height / 2},
               kLabelFont, kAxisColor);
    }
  }

  // Title, x label, and the y label turned a quarter to the left.
  if (!chart.title.empty()) {
    const cv::Size s = text_size(chart.title, kTitleFont);
    put_text(img, chart.title, {(chart.width - s.width) / 2, 16 + s.height}, kTitleFont,
             cv::Scalar(20, 20, 20));
  }
  if (!chart.x_label.empty()) {
    const cv::Size s = text_size(chart.x_label, kLabelFont);
    put_text(img, chart.x_label, {(L.left + L.right - s.width) / 2, chart.height - 14}, kLabelFont,
             kAxisColor);
  }
  if (!chart.y_label.empty()) {
    const cv::Size s = text_size(chart.y_label, kLabelFont);
    cv::Mat label(s.height + 10, s.width + 4, CV_8UC3, kWhite);
    put_text(label, chart.y_label, {2, s.height + 2}, kLabelFont, kAxisColor);
    cv::Mat turned;
    cv::rotate(label, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int y0 = std::max(0, (L.top + L.bottom - turned.rows) / 2);
    const int rows = std::min(turned.rows, chart.height - y0);
    turned(cv::Rect(0, 0, turned.cols, rows)).copyTo(img(cv::Rect(12, y0, turned.cols, rows)));
  }

  RgbImage out;
  out.width = chart.width;
  out.height = chart.height;
  out.pixels.assign(img.data, img.data + img.total() * img.elemSize());
  return out;
}

void write_line_chart_png(const std::string& path, const LineChart& chart) {
  RgbImage image = render_line_chart(chart);
  write_png_file(path, image.pixels.data(), image.width, image.height);
}

}  // namespace imagenet
