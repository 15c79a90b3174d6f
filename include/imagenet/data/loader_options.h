// The loader settings a config asks for, in one place for the trainer and `bench-data`.
#pragma once

#include "imagenet/config/config.h"
#include "imagenet/data/batch_loader.h"

#include <string>

namespace imagenet {

/// LoaderOptions for the training (train = true: shuffled, random crops, drop_last) or the
/// validation set (in order, center crops) of `rank` among `world_size` processes. The test
/// hook IMAGENET_INJECT_READ_LATENCY_MS (milliseconds added to every file open) is read here.
LoaderOptions loader_options_from_config(const Config& config, bool train, int rank = 0,
                                         int world_size = 1);

/// Throws UsageError, naming the key and where it was set, for a setting the loader refuses
/// (an auto_augment policy it does not know): called before a run writes anything.
void check_loader_config(const Config& config);

/// What to change when the training step waited for data a large part of an epoch: from how
/// busy the decode threads were (stats.decode_seconds over epoch_seconds x num_workers), either
/// more num_workers (decoding is the bottleneck) or more io_threads, a local copy or packed
/// shards (reading is). `cores` is the machine's core count.
std::string loader_bottleneck_advice(const LoaderEpochStats& stats, double epoch_seconds,
                                     const LoaderOptions& options, int cores);

}  // namespace imagenet
