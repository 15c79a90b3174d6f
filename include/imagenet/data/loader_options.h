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

/// The s3_endpoint / s3_region / s3_profile keys, for resolve_s3_settings.
S3SettingsRequest s3_settings_request(const Config& config);

/// Where a loader's samples come from, which decides what to advise when reads are slow.
enum class SampleOrigin {
  files,       ///< image files (a local disk, a mount, FSx)
  shards,      ///< tar shards on a file system
  s3_objects,  ///< data_root s3://, one GET per image
  s3_shards,   ///< data_root s3://, shards streamed with ranged GETs
};

/// The origin of `index`'s samples.
SampleOrigin sample_origin(const DatasetIndex& index);
/// Throws UsageError, naming the key and where it was set, for a setting the loader refuses
/// (an auto_augment policy it does not know): called before a run writes anything.
void check_loader_config(const Config& config);

/// What to change when the training step waited for data a large part of an epoch: from how
/// busy the decode threads were (stats.decode_seconds over epoch_seconds x num_workers), either
/// more num_workers (decoding is the bottleneck) or, when they waited for reads, what fits the
/// origin: more io_threads, a local copy or shards for files; the streams in use (io_threads,
/// at most 8) and the storage's bandwidth for shards; more s3_requests, shards or a local copy
/// for S3 objects. The epoch's read retries are named (S3 throttling shows there). `cores` is
/// the machine's core count.
std::string loader_bottleneck_advice(const LoaderEpochStats& stats, double epoch_seconds,
                                     const LoaderOptions& options, int cores,
                                     SampleOrigin origin = SampleOrigin::files);

}  // namespace imagenet
