// metrics.csv in the format of Lightning's CSVLogger: one row per logging call, columns the
// sorted union of every key seen (epoch and step included), empty cells for missing values.
// Unlike Lightning it never deletes an existing file: a resumed run appends to it, and the
// file is rewritten (atomically) only when a new column appears.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace imagenet {

class MetricsCsv {
 public:
  /// Reads the header of an existing file, if any, so rows are appended to it.
  explicit MetricsCsv(std::string path);

  /// Appends one row. NaN values are written as empty cells.
  void log(const std::map<std::string, double>& metrics, int64_t epoch, int64_t step);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;  // sorted
};

}  // namespace imagenet
