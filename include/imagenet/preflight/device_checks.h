// The checks of `imagenet_train preflight` that run on the device and between the ranks: the
// run's own loader at full speed, the training step alone (and on CUDA the largest batch that
// fits), and the ranks compared (config and index hashes, rendezvous, the gradient all-reduce).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/data/dataset.h"
#include "imagenet/distributed/process_group.h"
#include "imagenet/preflight/preflight_report.h"
#include "imagenet/train/train_step.h"

namespace imagenet {

struct LoaderMeasurement {
  double images_per_second = 0;
  bool read_bound = true;  ///< the workers waited for files rather than decoding
  std::string advice;      ///< loader_bottleneck_advice
};

/// The training loader of this rank (open_run_loader: the run's options, pinned memory on
/// CUDA) with an infinitely fast consumer: `batches` timed after `warmup`. Adds to `check`.
LoaderMeasurement measure_run_loader(const Config& config, const DataSplits& data, int rank,
                                     int world_size, c10::Device device, int warmup, int batches,
                                     PreflightCheck& check);

struct StepCheckOptions {
  int warmup = 2;
  int steps = 5;
  /// CUDA: search the largest batch that fits, up to this many images (0: no search).
  int64_t max_batch = 16384;
};

/// The training step at the configured batch, precision and channels_last on synthetic input.
struct StepMeasurement {
  PreflightCheck check;
  std::unique_ptr<TrainStep> step;  ///< kept for the all-reduce test
  double images_per_second = 0;
  double ms_per_step = 0;
  int64_t checkpoint_bytes = 0;  ///< weights, buffers and momentum, as a checkpoint holds them
  int64_t gradient_bytes = 0;    ///< what one step all-reduces
};
StepMeasurement check_step(const Config& config, c10::Device device, int64_t num_classes,
                           const StepCheckOptions& options);

/// What each rank tells the others.
struct RankSummary {
  uint64_t config_hash = 0;
  uint64_t index_hash = 0;
  int64_t failed_checks = 0;
  double data_rate = 0;                      ///< images/s
  double step_rate = 0;                      ///< images/s (data-parallel step once measured)
  int64_t free_bytes = 0;                    ///< where this rank writes checkpoints
  CheckStatus storage = CheckStatus::kPass;  ///< this rank's storage verdict
};

/// Every rank's summary (on every rank), in rank order; a single process gets its own only.
std::vector<RankSummary> gather_summaries(ProcessGroup& group, const RankSummary& mine,
                                          c10::Device device);

/// Adds every rank's free space and storage verdict to rank 0's storage check (checkpoints go
/// to each node's own disk); fails it when another rank's storage failed.
void add_ranks_storage(PreflightCheck& storage, const std::vector<RankSummary>& ranks);

/// The multi-process check on rank 0's view: hashes equal on every rank, the rendezvous time,
/// the data-parallel step and the all-reduce of the gradients alone (bus GB/s), the overlap.
/// Sets *ddp_step_rate to the data-parallel step's images/s (0 when not measured).
PreflightCheck check_ranks(const Config& config, const std::shared_ptr<ProcessGroup>& group,
                           StepMeasurement& step, const std::vector<RankSummary>& ranks,
                           double rendezvous_seconds, int iterations, double* ddp_step_rate);

}  // namespace imagenet
