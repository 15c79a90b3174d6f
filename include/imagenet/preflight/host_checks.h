// The checks of `imagenet_train preflight` that need no device: the config and its plan, the
// data (layout, classes, index cache, a timed and decoded sample of files), the checkpoint
// folder, and the monitoring settings. Each fills a PreflightCheck; none writes anything.
#pragma once

#include <cstdint>
#include <string>

#include "imagenet/config/config.h"
#include "imagenet/data/dataset.h"
#include "imagenet/preflight/preflight_report.h"
#include "imagenet/preflight/preflight_rules.h"
#include "imagenet/train/plan.h"

namespace imagenet {

/// Steps per epoch of this rank, as the trainer's loader counts them (drop_last,
/// limit_train_batches).
int64_t planned_steps_per_epoch(const Config& config, const DatasetIndex& train, int rank,
                                int world_size);

/// The resolved config (validated by load_config already), the plan of `world_size` ranks and
/// the LR at the milestone epochs; without training data (`data.train` null) only the config.
PreflightCheck check_config(const Config& config, int world_size, const DataSplits& data,
                            TrainingPlan* plan);

/// Opens train/ and val/ as training does, reading the index cache but never writing it. A
/// missing or malformed layout fails `check` (data.train stays null) instead of throwing.
DataSplits open_preflight_data(const Config& config, bool rescan, PreflightCheck& check);

/// Reads `files` sample files twice (cold, warm) on the run's reading threads and decodes them;
/// adds the classes and images per split, the class sets, the index cache state. Returns the
/// time one read took (seconds), for the pipeline's advice.
double probe_data(const Config& config, const DataSplits& data, int64_t files,
                  PreflightCheck& check);

/// The threads that read files in the run: io_threads, or the decode workers without them.
int reading_threads(const Config& config);

/// Free space and a probe file (created, then removed) in `checkpoints_dir`, or in its nearest
/// existing parent when it does not exist yet.
StorageState probe_storage(const Config& config, const std::string& checkpoints_dir,
                           int64_t checkpoint_bytes);

/// The W&B and metrics settings as the run would use them.
PreflightCheck check_monitoring(const Config& config, const std::string& output_dir);

}  // namespace imagenet
