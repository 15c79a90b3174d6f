// Implements logging/metrics_csv.h.
#include "imagenet/logging/metrics_csv.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::string format_cell(double value) {
  if (std::isnan(value)) return "";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return format_number(value);
}

}  // namespace

MetricsCsv::MetricsCsv(std::string path) : path_(std::move(path)) {
  if (!path_exists(path_)) return;
  std::string content = read_file(path_);
  std::string header = content.substr(0, content.find('\n'));
  if (!header.empty()) columns_ = str_split(str_trim(header), ',');
}

void MetricsCsv::log(const std::map<std::string, double>& metrics, int64_t epoch, int64_t step) {
  std::map<std::string, std::string> row;
  for (const auto& [key, value] : metrics) row[key] = format_cell(value);
  row["epoch"] = std::to_string(epoch);
  row["step"] = std::to_string(step);

  std::set<std::string> keys(columns_.begin(), columns_.end());
  bool new_columns = false;
  for (const auto& [key, value] : row) new_columns |= keys.insert(key).second;

  auto format_row = [&](const std::map<std::string, std::string>& cells) {
    std::vector<std::string> out;
    for (const auto& column : keys) {
      auto it = cells.find(column);
      out.push_back(it == cells.end() ? "" : it->second);
    }
    return str_join(out, ",") + "\n";
  };

  if (!new_columns) {
    append_file_durable(path_, format_row(row));
    return;
  }
  // A new column: rewrite the whole file under the wider header, keeping every old row.
  std::string content;
  std::vector<std::string> old_columns = columns_;
  columns_.assign(keys.begin(), keys.end());
  content = str_join(columns_, ",") + "\n";
  if (path_exists(path_)) {
    std::vector<std::string> lines = str_split(read_file(path_), '\n');
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].empty()) continue;
      std::vector<std::string> cells = str_split(lines[i], ',');
      std::map<std::string, std::string> old_row;
      for (size_t c = 0; c < old_columns.size() && c < cells.size(); ++c)
        old_row[old_columns[c]] = cells[c];
      content += format_row(old_row);
    }
  }
  content += format_row(row);
  write_file_atomic(path_, content);
}

}  // namespace imagenet
