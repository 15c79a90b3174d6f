// A run's metrics as TensorBoard scalars, beside metrics.csv: the same rows under the same tags
// (train/loss, val/acc1, lr, ...) at the same global step, plus "epoch" as Lightning's
// TensorBoardLogger writes it, and text such as the resolved config. Rank 0 only; a resumed run
// adds a new event file to the same folder (event_file.h), marked so that every step is shown
// once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace imagenet {

class EventFileWriter;

class TensorBoardLogger {
 public:
  /// Creates the folder and a new event file in it; throws RuntimeError naming it on failure.
  /// `resume_step` > 0 (a resumed run that has done that many steps) starts the file with a
  /// SessionLog START at resume_step + 1: TensorBoard then drops whatever earlier files hold
  /// after the checkpoint (steps a killed run did and this one redoes), and keeps the rest.
  explicit TensorBoardLogger(const std::string& dir, int64_t resume_step = 0);
  ~TensorBoardLogger();
  TensorBoardLogger(const TensorBoardLogger&) = delete;
  TensorBoardLogger& operator=(const TensorBoardLogger&) = delete;

  /// One row as MetricsCsv::log takes it: each finite value under its name at `step`, and
  /// `epoch` under "epoch". NaN values (metrics not measured) are left out.
  void log(const std::map<std::string, double>& metrics, int64_t epoch, int64_t step);

  /// Text at `step` (TensorBoard's text plugin renders Markdown).
  void log_text(const std::string& tag, const std::string& markdown, int64_t step);

  /// `text` shown verbatim in TensorBoard (each line indented four spaces: a Markdown code
  /// block), e.g. the resolved config YAML.
  void log_verbatim(const std::string& tag, const std::string& text, int64_t step);

  /// Makes everything logged so far visible to TensorBoard (every epoch and on stop).
  void flush();

  const std::string& dir() const { return dir_; }
  /// The event file being written.
  const std::string& file() const;

 private:
  std::string dir_;
  std::unique_ptr<EventFileWriter> writer_;
};

}  // namespace imagenet
