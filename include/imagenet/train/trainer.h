// The training loop: epochs of train steps, validation after each, metrics, checkpoints.
// The step itself is Trainer::train_step, one screen from batch to metrics.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/top_k.h"
#include "imagenet/config/config.h"
#include "imagenet/data/batch_loader.h"
#include "imagenet/data/dataset.h"
#include "imagenet/distributed/gradient_reducer.h"
#include "imagenet/distributed/process_group.h"
#include "imagenet/logging/metrics_csv.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/metrics.h"
#include "imagenet/train/plan.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/train_step.h"

namespace imagenet {

/// Metrics of one finished epoch.
struct EpochMetrics {
  double train_loss = NAN, train_acc1 = NAN, train_acc5 = NAN;
  double val_loss = NAN, val_acc1 = NAN, val_acc5 = NAN;
  double lr = NAN;
  double images_per_second = NAN;
  double data_wait = NAN;  ///< share of the epoch's wall time spent waiting for batches
  double seconds = NAN;
  int64_t bad_samples = 0;
  int64_t read_retries = 0;
  std::string data_advice;  ///< what to change, when data_wait was above 50%
};

class Trainer {
 public:
  /// Polled after every step: a non-zero signal number means "save last.ckpt and stop".
  using StopRequest = std::function<int()>;

  /// Builds the model (seeded by config.train.seed), the optimizer and the loaders.
  Trainer(Config config, RunContext context, DataSplits data, RunPaths paths,
          StopRequest stop_requested = nullptr);
  ~Trainer();

  /// Continues from a checkpoint: weights, momentum, loss scale, progress, top-k table.
  void restore(const CheckpointData& checkpoint, const std::string& checkpoint_path);

  /// Trains to the end (or stop_after_epochs, or a stop signal). Returns the exit code:
  /// 0, or 128 + signal when stopped by a signal (after saving last.ckpt).
  int fit();

  /// Evaluates the current weights on the validation set (loss, acc1, acc5).
  EpochMetrics validate();

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
  void train_step(std::shared_ptr<const Batch> batch, double lr, MetricSums& sums);
  void end_epoch(int64_t epoch, const EpochMetrics& metrics);
  void write_epoch_results(int64_t epoch, const EpochMetrics& metrics);
  void save_last_checkpoint(const MetricSums* partial);
  CheckpointData snapshot(const MetricSums* partial) const;
  void check_loss_is_finite(double loss) const;

  // Data-parallel training (context_.group set).
  void setup_distributed();
  void broadcast_state();
  void average_running_stats_if_local();
  /// Sums `sums` (and `count`) over the ranks, in place.
  void reduce_over_ranks(MetricSums& sums, int64_t* count = nullptr) const;

  Config config_;
  RunContext context_;
  DataSplits data_;
  RunPaths paths_;
  StopRequest stop_requested_;

  std::unique_ptr<TrainStep> step_;
  std::unique_ptr<GradientReducer> reducer_;  // data-parallel runs only
  std::unique_ptr<BatchLoader> train_loader_;
  std::unique_ptr<BatchLoader> val_loader_;
  std::unique_ptr<BatchTransfer> transfer_;
  TrainingPlan plan_;
  TrainingProgress progress_;
  TopKCheckpoints top_k_;
  std::unique_ptr<MetricsCsv> csv_;
  std::string resumed_from_;
  int64_t prefetched_epoch_ = -1;  // epoch the train loader already started (during validation)
  at::Tensor last_loss_;           // loss of the latest step, on the device
  std::vector<at::Tensor> pinned_buffers_;
};

}  // namespace imagenet
