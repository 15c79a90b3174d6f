// The training loop: epochs of train steps, validation after each, metrics, checkpoints.
// train_epoch reads top to bottom: next batch -> step -> meter -> stop check; the step itself
// is TrainStep::run (train_step.h).
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/run_checkpoints.h"
#include "imagenet/config/config.h"
#include "imagenet/data/batch_loader.h"
#include "imagenet/data/dataset.h"
#include "imagenet/logging/metrics_log.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/data_parallel.h"
#include "imagenet/train/ema_tracker.h"
#include "imagenet/train/epoch_meter.h"
#include "imagenet/train/metrics.h"
#include "imagenet/train/plan.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/train_step.h"

namespace imagenet {

class Trainer {
 public:
  /// Polled after every step: a non-zero signal number means "save last.ckpt and stop".
  using StopRequest = std::function<int()>;

  /// Builds the model (seeded by config.train.seed), the optimizer and the loaders. A context
  /// without a group gets a group of one. With several ranks (or strategy: ddp) every rank
  /// starts from rank 0's weights, gradients are all-reduced in buckets during backward, and
  /// sync_batchnorm computes BatchNorm over all ranks.
  Trainer(Config config, RunContext context, DataSplits data, RunPaths paths,
          StopRequest stop_requested = nullptr);
  ~Trainer();

  /// Continues from a checkpoint: weights, optimizer state, EMA, loss scale, progress, top-k
  /// table.
  void restore(const CheckpointData& checkpoint, const std::string& checkpoint_path);

  /// Trains to the end (or stop_after_epochs, or a stop signal). Returns the exit code:
  /// 0, or 128 + signal when stopped by a signal (after saving last.ckpt). Rank 0 writes
  /// metrics.csv and a new event file in <output_dir>/tensorboard/ (flushed every epoch,
  /// closed, and with wandb_sync uploaded, when fit returns).
  int fit();

  /// Evaluates the current weights (or `model`, the EMA's) on the validation set (loss, acc1,
  /// acc5).
  EpochMetrics validate(ResNet* model = nullptr);

  /// One training step at `lr` on the next training batch, outside fit(): the LR finder's
  /// step, on the same loader, TrainStep and process context as fit(). Epochs follow one
  /// another as the steps need them. Writes nothing: no metrics.csv row, no checkpoint.
  /// Returns this step's training loss (waits for the device); with several ranks, the mean
  /// of theirs, i.e. the loss of the total batch, the same number on every rank.
  double run_step_at_lr(double lr);

  /// The stop signal (0: none) polled after each step: the stop request given at construction,
  /// or with several ranks the signal they agreed on, returned by all of them after the same
  /// step. Collective with several ranks: every rank calls it after every step.
  int stop_signal() const;

  const TrainingPlan& plan() const { return plan_; }
  const TrainingProgress& progress() const { return progress_; }
  ResNet& model() { return step_->model(); }

 private:
  enum class EpochEnd { kFinished, kStopped };

  EpochEnd train_epoch(int64_t epoch, EpochMetrics* metrics);
  /// One optimizer step from accumulate_grad_batches micro-batches on the device (fewer at an
  /// epoch's end).
  void train_step(std::vector<DeviceBatch>& inputs, double lr, MetricSums& sums);
  void end_epoch(int64_t epoch, const EpochMetrics& metrics);
  /// last.ckpt with the epoch's partial sums; `background`: a periodic one, written on the
  /// checkpoint writer's thread (skipped while the previous one is still being written).
  void save_last_checkpoint(const MetricSums* partial, bool background = false);
  /// After a step: checkpoint_every_n_steps or _minutes asks for a checkpoint (every rank
  /// returns the same; collective with several ranks when minutes are on).
  bool periodic_checkpoint_due();
  CheckpointData snapshot() const;
  void make_ema();
  void average_ema_running_stats();
  /// Remembers a finite loss; a NaN or inf one stops the run (nan_policy: stop) with the step,
  /// the LR and the last finite loss.
  void check_loss_is_finite(double loss);
  /// nan_policy: skip: a step whose update was dropped; warns, or throws past nan_skip_limit.
  void skipped_non_finite_step(double lr);
  std::string non_finite_report(double loss, double lr) const;
  void open_metrics_log();

  Config config_;
  RunContext context_;
  DataSplits data_;
  RunPaths paths_;
  StopRequest stop_requested_;

  std::unique_ptr<TrainStep> step_;
  std::unique_ptr<DataParallel> data_parallel_;
  std::unique_ptr<EmaTracker> ema_;  // model_ema
  std::unique_ptr<BatchLoader> train_loader_;
  std::unique_ptr<BatchLoader> val_loader_;
  std::unique_ptr<BatchTransfer> transfer_;
  TrainingPlan plan_;
  TrainingProgress progress_;
  RunCheckpoints checkpoints_;
  std::unique_ptr<MetricsLog> log_;  // rank 0, during fit()
  int64_t skipped_steps_ = 0;        // of the epoch: fp16 overflows
  int64_t prefetched_epoch_ = -1;    // epoch the train loader already started (during validation)
  at::Tensor last_loss_;             // loss of the latest step, on the device
  std::chrono::steady_clock::time_point last_checkpoint_time_;  // for checkpoint_every_minutes
  bool step_options_skip_non_finite_ = false;  // nan_policy: skip (and not 16-mixed)
  int skipped_in_a_row_ = 0;                   // steps skipped for NaN/inf gradients in a row
  double last_finite_loss_ = 0.0;              // the last finite loss the meter saw
  int64_t last_finite_step_ = -1;              // its step; -1: none yet
};

}  // namespace imagenet
