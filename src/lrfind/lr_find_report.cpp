// Implements lrfind/lr_find_report.h.
#include "imagenet/lrfind/lr_find_report.h"

#include <cmath>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return format_number(value);
}

/// The point halfway between two LRs on the log axis.
double log_midpoint(double a, double b) {
  return std::sqrt(a * b);
}

}  // namespace

std::vector<double> sweep_lrs(const std::vector<LrSweepPoint>& points) {
  std::vector<double> out;
  for (const auto& p : points) out.push_back(p.lr);
  return out;
}

std::vector<double> sweep_smoothed_losses(const std::vector<LrSweepPoint>& points) {
  std::vector<double> out;
  for (const auto& p : points) out.push_back(p.smoothed_loss);
  return out;
}

std::string lr_find_csv(const std::vector<LrSweepPoint>& points) {
  std::string out = "step,lr,loss,smoothed_loss\n";
  for (const auto& p : points)
    out += str_cat(p.step, ",", csv_number(p.lr), ",", csv_number(p.loss), ",",
                   csv_number(p.smoothed_loss), "\n");
  return out;
}

std::string format_lr_for_config(double lr) {
  return str_printf("%.3g", lr);
}

LineChart lr_find_chart(const LrFindReport& r) {
  LineChart chart;
  chart.x_scale = AxisScale::kLog;
  chart.title = str_cat("LR finder: ", r.run_description, ", ", r.sweep.num_training,
                        " steps from lr ", format_number(r.sweep.min_lr), " to ",
                        format_number(r.sweep.max_lr), " (", to_string(r.sweep.mode), ")");
  chart.x_label = r.lr_scale == 1.0
                      ? std::string("learning rate (log scale; the config's lr is the same)")
                      : str_cat("effective learning rate (log scale); the config's lr = this / ",
                                str_printf("%.4g", r.lr_scale));
  chart.y_label = "training loss";

  const std::vector<LrSweepPoint>& p = r.points;
  PlotSeries raw, smoothed;
  raw.label = "loss of each step";
  raw.color = PlotColor{190, 190, 190};
  raw.line_width = 1;
  smoothed.label = str_cat("smoothed loss (beta ", format_number(r.sweep.beta), ")");
  for (const auto& point : p) {
    raw.x.push_back(point.lr);
    raw.y.push_back(point.loss);
    smoothed.x.push_back(point.lr);
    smoothed.y.push_back(point.smoothed_loss);
  }
  // The y axis follows the smoothed loss; spikes of single steps are cut at the frame.
  double lo = INFINITY, hi = -INFINITY;
  for (double v : smoothed.y) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo < hi) {
    chart.y_min = lo - 0.06 * (hi - lo);
    chart.y_max = hi + 0.06 * (hi - lo);
  }
  chart.series = {raw, smoothed};

  // The points the rule leaves out, shaded.
  const int64_t n = static_cast<int64_t>(p.size());
  const int64_t begin = std::min<int64_t>(r.rule.skip_begin, n);
  const int64_t end = std::max<int64_t>(begin, n - r.rule.skip_end);
  PlotBand left_out;
  left_out.label = "left out of the suggestion";
  if (begin > 0) {
    left_out.x_from = p.front().lr / 2;
    left_out.x_to = begin < n ? log_midpoint(p[begin - 1].lr, p[begin].lr) : p.back().lr * 2;
    chart.bands.push_back(left_out);
    left_out.label.clear();
  }
  if (end < n) {
    left_out.x_from = end > 0 ? log_midpoint(p[end - 1].lr, p[end].lr) : p.front().lr / 2;
    left_out.x_to = p.back().lr * 2;
    chart.bands.push_back(left_out);
  }

  if (r.suggestion.found) {
    PlotMarker m;
    m.x = r.suggestion.lr;
    m.y = p[static_cast<size_t>(r.suggestion.index)].smoothed_loss;
    const std::string rule = str_cat("steepest slope vs ", to_string(r.rule.slope));
    if (r.end == LrSweepEnd::kFinished) {
      m.label = str_cat("suggested lr ", str_printf("%.3g", r.suggestion.lr),
                        r.lr_scale == 1.0
                            ? std::string()
                            : str_cat(" = config lr ", format_lr_for_config(r.suggested_base_lr())),
                        " (", rule, ")");
    } else {
      m.label = str_cat(rule, " at lr ", str_printf("%.3g", r.suggestion.lr),
                        "; the sweep stopped early: no suggestion");
      m.color = kPlotOrange;
    }
    chart.markers.push_back(m);
  }
  return chart;
}

std::vector<std::string> write_lr_find_outputs(const std::string& dir, const LrFindReport& report) {
  ensure_directory(dir);
  const std::string csv = dir + "/lr_find.csv", png = dir + "/lr_find.png";
  write_file_atomic(csv, lr_find_csv(report.points));
  write_line_chart_png(png, lr_find_chart(report));
  return {csv, png};
}

}  // namespace imagenet
