// The rules of `imagenet_train preflight`, as pure functions of what it measured: the largest
// batch that fits (Lightning's batch-size finder), the LR at the milestone epochs, whether the
// data keeps up with the step, whether the checkpoints fit, bus bandwidth as nccl-tests reports
// it, and the hashes that tell ranks with different configs or data apart.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imagenet/data/image_folder.h"
#include "imagenet/preflight/preflight_report.h"
#include "imagenet/train/plan.h"

namespace imagenet {

/// Largest batch found by doubling, then bisecting (scale_batch_size(mode="binsearch")).
struct BatchSearch {
  int64_t largest = 0;                           ///< 0 when not even a batch of 1 fits
  std::vector<std::pair<int64_t, bool>> trials;  ///< (batch, fits) in the order tried
  bool reached_limit = false;                    ///< `limit` fits: the true largest may be more
};

/// Lightning's binsearch rule: from `start`, double while `fits`; after the first failure,
/// bisect between the largest size that fitted (1 before any) and the smallest that failed,
/// until they are 1 apart. Sizes never exceed `limit`; at most `max_trials` calls of `fits`.
BatchSearch find_largest_batch(int64_t start, int64_t limit,
                               const std::function<bool(int64_t)>& fits, int max_trials = 25);

struct LrMilestone {
  std::string label;  ///< "epoch 5 (end of warmup)", "epoch 150 (25%)", "last step"
  int64_t epoch = 0;
  int64_t step = 0;
  double lr = 0;
};

/// The LR at the first step of epochs 0, 1, ..., the end of warmup (at most 10 of these, evenly
/// spread), 25/50/75% of the epochs, and at the last step, from plan.schedule.
std::vector<LrMilestone> lr_milestones(const TrainingPlan& plan, int epochs, double warmup_epochs);

/// The data loader against the training step, both per rank.
struct PipelineRates {
  double data_rate = 0;  ///< images/s the loader delivers
  double step_rate = 0;  ///< images/s the step takes
  int64_t images_per_epoch = 0;
  int epochs = 0;
  double latency_per_open = 0;  ///< seconds one file read took
  int reading_threads = 1;      ///< io_threads, or num_workers when io_threads is 0
  /// The loader waited for files rather than for decoding (loader_bottleneck_advice's reading).
  bool read_bound = true;
  std::string loader_advice;  ///< loader_bottleneck_advice's text
};

/// Reads in flight that deliver `rate` images/s at `latency` seconds each (Little's law), with
/// 25% headroom.
int reads_in_flight_needed(double rate, double latency);

/// Fails when the data is more than 10% slower than the step (warns below that); estimates the
/// epoch and the run from the slower of the two.
PreflightCheck pipeline_verdict(const PipelineRates& rates);

struct StorageState {
  std::string folder;         ///< where checkpoints go
  std::string probed_folder;  ///< the folder (or its nearest existing parent) that was probed
  int64_t free_bytes = 0;
  int64_t checkpoint_bytes = 0;
  int save_top_k = 3;
  int epochs = 1;
  bool writable = true;
  std::string write_error;
  bool holds_run = false;  ///< last.ckpt is there already
};

/// Checkpoints the run keeps at once: save_top_k + 2 (last.ckpt and the one being written);
/// save_top_k -1 keeps every epoch's.
int64_t checkpoints_kept(int save_top_k, int epochs);

/// Fails when the folder is not writable, holds a run already, or has less free space than
/// checkpoints_kept() checkpoints.
PreflightCheck storage_verdict(const StorageState& state);

/// nccl-tests' all_reduce_perf bus bandwidth in GB/s: (bytes / seconds) x 2 (n - 1) / n.
double all_reduce_bus_gbps(double bytes, double seconds, int world_size);

/// FNV-1a, 64 bits.
uint64_t fnv1a64(std::string_view text, uint64_t hash = 0xcbf29ce484222325ULL);

/// A hash of a dataset index: its classes and every sample's path below its split folder and
/// label (so two mounts of the same data at different places agree, and a node whose copy
/// differs does not).
uint64_t dataset_index_hash(const DatasetIndex& index);

}  // namespace imagenet
