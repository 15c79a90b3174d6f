// Where a run's metrics go, together: metrics.csv (Lightning's CSVLogger format), the TensorBoard
// event files in <output_dir>/tensorboard/ (the same rows under the same tags), and, when asked,
// their upload to W&B by the `wandb` executable (wandb_sync.h) at the end of the run or also
// after every epoch. Rank 0 only. Nothing about W&B can fail the run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "imagenet/logging/metrics_csv.h"

namespace imagenet {

class TensorBoardLogger;
class WandbSyncer;

struct MetricsLogOptions {
  std::string csv_path;         ///< metrics.csv
  std::string tensorboard_dir;  ///< "" writes no event files
  /// The global step a resumed run starts from (0: a new run); see TensorBoardLogger.
  int64_t resume_step = 0;
  /// W&B on: the names go into the event files and the log says the `wandb sync` command.
  bool wandb = false;
  std::string wandb_project;  ///< "" lets wandb choose
  std::string wandb_name;
  bool wandb_sync_at_end = false;  ///< run `wandb sync` when the run ends (or stops)
  bool wandb_sync_live = false;    ///< and after every epoch (one upload at a time)
  std::string wandb_log_path;      ///< the uploads' output
  std::string wandb_executable = "wandb";
  double wandb_wait_seconds = 60;  ///< how long the end of the run waits for the last upload
};

class MetricsLog {
 public:
  /// Opens metrics.csv (appending to an existing one) and a new event file; logs how the event
  /// files reach W&B.
  explicit MetricsLog(MetricsLogOptions options);
  /// close().
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  /// One row to metrics.csv and to the event files (MetricsCsv::log's meaning).
  void log(const std::map<std::string, double>& metrics, int64_t epoch, int64_t step);
  /// The resolved config as text in the event files (once, at the start).
  void log_config(const std::string& yaml, int64_t step);
  /// After every epoch: the event files flushed; with wandb_sync_live an upload started.
  void epoch_done();
  /// At the end or on a stop: the event files flushed and closed; with a W&B sync asked for,
  /// the last upload, waited for up to wandb_wait_seconds. Idempotent.
  void close();

  const std::string& csv_path() const { return csv_.path(); }
  /// The event file being written ("" without event files, or once closed).
  std::string event_file() const;
  /// The `wandb sync` command that uploads this run's event files ("" without W&B).
  std::string wandb_command() const;

 private:
  MetricsLogOptions options_;
  MetricsCsv csv_;
  std::unique_ptr<TensorBoardLogger> tensorboard_;
  std::unique_ptr<WandbSyncer> wandb_;
  bool closed_ = false;
};

}  // namespace imagenet
