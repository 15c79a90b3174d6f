// What makes the ranks of a data-parallel run train as one model: every rank starts from rank
// 0's weights, the gradients are all-reduced in buckets while backward runs (hooks on the
// gradient accumulators; TrainStep waits for the buckets before the optimizer step),
// sync_batchnorm computes BatchNorm over all ranks, and otherwise the running statistics are
// averaged wherever the ranks must agree (validation, checkpoints). With a group of one (a
// single process) it installs nothing and every call returns at once.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "imagenet/config/config.h"
#include "imagenet/distributed/gradient_reducer.h"
#include "imagenet/distributed/process_group.h"
#include "imagenet/train/train_step.h"

namespace imagenet {

class DataParallel {
 public:
  /// With a distributed `group`: SyncBatchNorm (when asked), rank 0's state broadcast, the
  /// gradient buckets and their hooks, and one log line that says so. `step` outlives this.
  DataParallel(TrainStep& step, std::shared_ptr<ProcessGroup> group, const DistConfig& config);

  /// Rank 0's parameters, buffers and momentum on every rank (after a resume, say).
  void broadcast_state();

  /// Without sync_batchnorm: each rank's running statistics replaced by their mean over the
  /// ranks (before validation).
  void average_running_stats();

  /// Runs `write` with the running statistics averaged over the ranks, then gives each rank its
  /// own back, as an uninterrupted run keeps them (a checkpoint in the middle of an epoch).
  void with_averaged_running_stats(const std::function<void()>& write);

  /// "8 gradient all-reduces (1 bucket each) for 8 optimizer steps; 8 micro-batch backwards
  /// without one" since the last call (of each rank, for its log); "" in a single process.
  std::string take_reduction_summary(int64_t optimizer_steps);

 private:
  /// True when the ranks' running statistics differ: several ranks without sync_batchnorm.
  bool local_stats() const;

  TrainStep& step_;
  std::shared_ptr<ProcessGroup> group_;
  DistConfig config_;
  std::unique_ptr<GradientReducer> reducer_;
  ReducerCounts reported_;  // the counts at the last take_reduction_summary
};

}  // namespace imagenet
