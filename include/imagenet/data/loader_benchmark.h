// The loader's throughput with an infinitely fast consumer (every batch released at once),
// timed by the wall clock and by the process's CPU time: what `bench-data` prints and what
// `preflight` compares with the training step.
#pragma once

#include <cstdint>

#include "imagenet/data/batch_loader.h"

namespace imagenet {

struct LoaderRate {
  int64_t images = 0;      ///< in the timed batches
  double seconds = 0;      ///< wall time of the timed batches
  double cpu_seconds = 0;  ///< this process's user + system time meanwhile
  /// Worker time spent decoding during the timed batches (LoaderEpochStats::decode_seconds).
  double decode_seconds = 0;
  int64_t bad_samples = 0;   ///< over warmup and timed batches
  int64_t read_retries = 0;  ///< over warmup and timed batches
  double images_per_second() const { return seconds > 0 ? images / seconds : 0; }
};

/// Loads `warmup` untimed batches, then `batches` timed ones, starting epochs as needed (from
/// epoch 0).
LoaderRate measure_loader_rate(BatchLoader& loader, int warmup, int batches);

/// This process's user + system CPU seconds so far (getrusage).
double process_cpu_seconds();

}  // namespace imagenet
