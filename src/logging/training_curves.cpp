// Implements logging/training_curves.h.
#include "imagenet/logging/training_curves.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

#include "imagenet/image/image_encoder.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

using Row = std::map<std::string, double>;

/// Epoch -> that epoch's row (column -> value; empty cells are absent).
std::map<int64_t, Row> epoch_rows(const std::string& csv_text) {
  std::map<int64_t, Row> rows;
  std::vector<std::string> lines = str_split(csv_text, '\n');
  if (lines.empty()) return rows;
  const std::vector<std::string> header = str_split(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = str_split(lines[i], ',');
    if (cells.size() != header.size()) continue;  // the empty last line, or a torn one
    Row row;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      char* end = nullptr;
      const double value = std::strtod(cells[c].c_str(), &end);
      if (end != cells[c].c_str()) row[header[c]] = value;
    }
    auto epoch = row.find("epoch");
    if (epoch != row.end() && (row.count("train/loss") || row.count("val/loss")))
      rows[static_cast<int64_t>(epoch->second)] = row;
  }
  return rows;
}

PlotSeries series(const std::map<int64_t, Row>& rows, const std::string& column,
                  const std::string& label, PlotColor color, double scale) {
  PlotSeries s;
  s.label = label;
  s.color = color;
  s.dots = true;
  for (const auto& [epoch, row] : rows) {
    auto it = row.find(column);
    s.x.push_back(static_cast<double>(epoch));
    s.y.push_back(it == row.end() ? NAN : it->second * scale);
  }
  return s;
}

}  // namespace

TrainingCurves training_curves_from_csv(const std::string& metrics_csv) {
  const std::map<int64_t, Row> rows = epoch_rows(read_file(metrics_csv));
  TrainingCurves curves;
  curves.epochs = static_cast<int>(rows.size());
  if (rows.empty()) return curves;
  const double last_epoch = static_cast<double>(rows.rbegin()->first);

  LineChart& loss = curves.loss;
  loss.title = "Loss";
  loss.y_label = "loss";
  loss.x_label = "epoch";
  loss.height = 480;
  // A little room on both sides: the first and last dots stay clear of the axes.
  const double span = std::max(1.0, last_epoch);
  loss.x_min = -0.03 * span;
  loss.x_max = span * 1.03;
  loss.y_min = 0;  // losses are positive; also gives a single point a range
  loss.series = {series(rows, "train/loss", "train", kPlotBlue, 1.0),
                 series(rows, "val/loss", "validation", kPlotOrange, 1.0)};

  LineChart& acc = curves.accuracy;
  acc.title = "Accuracy";
  acc.y_label = "%";
  acc.x_label = "epoch";
  acc.height = 480;
  acc.x_min = loss.x_min;
  acc.x_max = loss.x_max;
  acc.y_min = 0;
  acc.y_max = 100;
  acc.series = {series(rows, "train/acc1", "train top-1 (unmixed batches)", kPlotBlue, 100.0),
                series(rows, "val/acc1", "validation top-1", kPlotOrange, 100.0),
                series(rows, "val/acc5", "validation top-5", kPlotGreen, 100.0)};
  // The numbers a person looks for first, in the title.
  const PlotSeries& val = acc.series[1];
  double best = NAN;
  for (double v : val.y)
    if (std::isfinite(v) && !(v <= best)) best = v;
  if (std::isfinite(val.y.back()))
    acc.title = str_printf("Accuracy (validation top-1: %.2f%% at epoch %lld, best %.2f%%)",
                           val.y.back(), static_cast<long long>(val.x.back()), best);
  return curves;
}

bool write_training_curves_png(const std::string& metrics_csv, const std::string& png_path) {
  TrainingCurves curves = training_curves_from_csv(metrics_csv);
  if (curves.epochs == 0) return false;
  const RgbImage top = render_line_chart(curves.loss);
  const RgbImage bottom = render_line_chart(curves.accuracy);
  std::vector<uint8_t> pixels(top.pixels);
  pixels.insert(pixels.end(), bottom.pixels.begin(), bottom.pixels.end());
  write_png_file(png_path, pixels.data(), top.width, top.height + bottom.height);
  return true;
}

}  // namespace imagenet
