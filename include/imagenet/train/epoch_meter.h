// What the training loop measures while an epoch runs, so that the loop shows only the step:
// the epoch's wall time, the time spent waiting for batches (the loader's bottleneck), images
// over all ranks, the progress line with its postfix (img/s, data wait, lr, loss) and, on rank
// 0, the per-step rows of metrics.csv and the event files; the loss is read back from the
// device only when a line or a row needs it. And where a finished epoch is reported: its log
// line, its row and curves.png.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "imagenet/logging/metrics_log.h"
#include "imagenet/logging/progress.h"

namespace imagenet {

/// Metrics of one finished epoch.
struct EpochMetrics {
  double train_loss = NAN, train_acc1 = NAN, train_acc5 = NAN;
  double val_loss = NAN, val_acc1 = NAN, val_acc5 = NAN;
  /// The EMA weights' validation (model_ema; NaN without).
  double val_ema_loss = NAN, val_ema_acc1 = NAN, val_ema_acc5 = NAN;
  double lr = NAN;
  double images_per_second = NAN;
  double data_wait = NAN;  ///< share of the epoch's wall time spent waiting for batches
  double seconds = NAN;
  int64_t bad_samples = 0;
  int64_t read_retries = 0;
  std::string data_advice;  ///< what to change, when data_wait was above 50%
  /// 16-mixed only (else NaN / -1): the loss scale at the end, and the steps an overflow skipped.
  double loss_scale = NAN;
  int64_t skipped_steps = -1;
  double peak_memory_gb = NAN;  ///< CUDA only: the most GPU memory tensors held (GiB)
};

/// The epoch's line in the log (and warnings about unreadable images and a model waiting for
/// data), its row in metrics.csv and the event files at `global_step`, and
/// <output_dir>/curves.png redrawn from metrics.csv.
void report_epoch(int64_t epoch, int64_t global_step, const EpochMetrics& metrics, MetricsLog& log,
                  const std::string& output_dir);

struct EpochMeterOptions {
  std::string title;       ///< "Epoch 3"
  int64_t epoch = 0;       ///< the epoch column of metrics.csv rows
  int64_t steps = 0;       ///< batches in the epoch
  int64_t first_step = 0;  ///< batches already done (a resumed epoch)
  int log_every_n_steps = 50;
  int world_size = 1;  ///< every rank trains as many images per step
  /// Rank 0: where the per-step rows go; null on the other ranks.
  MetricsLog* log = nullptr;
  /// 16-mixed: the current loss scale, logged with each step row as train/loss_scale.
  std::function<double()> loss_scale;
  /// Called with every loss read back (the trainer stops a diverged run there).
  std::function<void(double)> check_loss;
};

class EpochMeter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit EpochMeter(EpochMeterOptions options);

  /// Calls `next` (the loader's next batch) and counts the time it blocks as data wait.
  template <typename Next>
  auto wait_for(Next&& next) {
    const Clock::time_point start = Clock::now();
    auto batch = next();
    wait_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
    return batch;
  }

  /// After `done` steps of the epoch (the latest on `images` images of this rank, at `lr`,
  /// global step `global_step` counted after it): the progress line, and every
  /// log_every_n_steps global steps a row of train/loss_step, lr and train/lr (the seeds'
  /// name), train/images_per_sec_step and train/data_wait_step (over all ranks, since the
  /// previous row or the epoch's start), and train/loss_scale under 16-mixed.
  void step_done(int64_t done, int64_t images, int64_t global_step, double lr,
                 const at::Tensor& loss);

  /// Draws the epoch's last progress line.
  void finish();

  double seconds() const;
  /// Images per second over all ranks.
  double images_per_second() const;
  /// Share of the epoch's wall time spent waiting for batches.
  double data_wait() const;

 private:
  double loss_value() const;
  std::string postfix() const;

  EpochMeterOptions options_;
  ProgressBar bar_;
  Clock::time_point start_;
  double wait_seconds_ = 0;
  int64_t images_ = 0;  // on this rank
  // Where the window of the next per-step row starts.
  Clock::time_point row_start_;
  double row_wait_seconds_ = 0;
  int64_t row_images_ = 0;
  double lr_ = 0;
  at::Tensor loss_;  // the latest step's, on the device
};

}  // namespace imagenet
