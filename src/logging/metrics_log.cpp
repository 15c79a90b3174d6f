// Implements logging/metrics_log.h.
#include "imagenet/logging/metrics_log.h"

#include "imagenet/logging/tensorboard_logger.h"
#include "imagenet/logging/wandb_sync.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

// A W&B problem is a warning in the log, never an exception out of the run.
void log_notes(const WandbNotes& notes) {
  for (const WandbNote& n : notes) (n.warning ? log_warn : log_info)(n.text);
}

}  // namespace

MetricsLog::MetricsLog(MetricsLogOptions options)
    : options_(std::move(options)), csv_(options_.csv_path) {
  if (!options_.tensorboard_dir.empty())
    tensorboard_ =
        std::make_unique<TensorBoardLogger>(options_.tensorboard_dir, options_.resume_step);
  if (tensorboard_ == nullptr || !options_.wandb) return;

  WandbSyncOptions sync;
  sync.tensorboard_dir = options_.tensorboard_dir;
  sync.project = options_.wandb_project;
  sync.run_name = options_.wandb_name;
  sync.log_path = options_.wandb_log_path;
  wandb_ = std::make_unique<WandbSyncer>(sync, options_.wandb_executable);
  // The names travel in the event files too, for whoever uploads them later.
  tensorboard_->log_verbatim("wandb",
                             str_cat("project: ", options_.wandb_project, "\nname: ",
                                     options_.wandb_name, "\nupload: ", wandb_->command_line()),
                             0);
  const bool syncing = options_.wandb_sync_at_end || options_.wandb_sync_live;
  log_info(str_cat("W&B: project '", options_.wandb_project, "', run '", options_.wandb_name,
                   "': the event files in ", options_.tensorboard_dir,
                   " go to W&B with: ", wandb_->command_line(),
                   syncing ? str_cat(" (wandb_sync: ", options_.wandb_sync_live ? "live" : "end",
                                     " runs it for you)")
                           : std::string(" (wandb_sync: end or live runs it for you)")));
  if (syncing && !wandb_->available())
    log_warn(str_cat("wandb_sync: no '", options_.wandb_executable,
                     "' on PATH (pip install wandb, then wandb login); training goes on and the "
                     "command above uploads the run later"));
}

MetricsLog::~MetricsLog() {
  try {
    close();
  } catch (const std::exception& e) {
    log_warn(str_cat("closing the metrics: ", e.what()));
  }
}

void MetricsLog::log(const std::map<std::string, double>& metrics, int64_t epoch, int64_t step) {
  csv_.log(metrics, epoch, step);
  if (tensorboard_) tensorboard_->log(metrics, epoch, step);
}

void MetricsLog::log_config(const std::string& yaml, int64_t step) {
  if (tensorboard_) tensorboard_->log_verbatim("config", yaml, step);
}

void MetricsLog::epoch_done() {
  if (tensorboard_) tensorboard_->flush();
  if (wandb_ && options_.wandb_sync_live && wandb_->available()) {
    log_notes(wandb_->start());  // reaps the previous upload, or leaves it running
  }
}

void MetricsLog::close() {
  if (closed_) return;
  closed_ = true;
  if (tensorboard_) {
    tensorboard_->flush();
    tensorboard_.reset();  // closes (and syncs) the event file before it is uploaded
  }
  if (wandb_ && (options_.wandb_sync_at_end || options_.wandb_sync_live) && wandb_->available())
    log_notes(wandb_->finish(options_.wandb_wait_seconds));
}

std::string MetricsLog::event_file() const {
  return tensorboard_ ? tensorboard_->file() : "";
}

std::string MetricsLog::wandb_command() const {
  return wandb_ ? wandb_->command_line() : "";
}

}  // namespace imagenet
