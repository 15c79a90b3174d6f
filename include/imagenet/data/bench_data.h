// Entry point of `imagenet_train bench-data`: the loader alone, as a run's config sets it up,
// for choosing num_workers, io_threads and prefetch_factor (and for bench/data_loader.sh).
#pragma once

#include <string>

#include "imagenet/config/config_loader.h"

namespace imagenet {

struct BenchDataCommand {
  ConfigSources sources;
  /// Timed batches, after `warmup` untimed ones (thread start, first reads).
  int batches = 50;
  int warmup = 5;
  /// "train" (random crops) or "val" (center crops).
  std::string split = "train";
  bool rescan = false;
};

/// Loads batches as fast as the loader delivers them and prints images/s overall, per decode
/// thread and per CPU-second used; returns the exit code.
int run_bench_data_command(const BenchDataCommand& command);

}  // namespace imagenet
