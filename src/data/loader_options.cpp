// Implements data/loader_options.h.
#include "imagenet/data/loader_options.h"

#include "imagenet/data/file_reader.h"

#include <algorithm>

#include "imagenet/data/shard_source.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/strings.h"

namespace imagenet {

S3SettingsRequest s3_settings_request(const Config& config) {
  S3SettingsRequest request;
  request.endpoint = config.data.s3_endpoint;
  request.region = config.data.s3_region;
  request.profile = config.data.s3_profile;
  return request;
}

LoaderOptions loader_options_from_config(const Config& config, bool train, int rank,
                                         int world_size) {
  const DataConfig& data = config.data;
  LoaderOptions o;
  o.name = train ? "training" : "validation";
  o.batch_size = train || data.val_batch_size == 0 ? config.train.batch_size : data.val_batch_size;
  o.num_workers = data.num_workers;
  o.io_threads = data.io_threads;
  o.read_policy.retries = data.io_retries;
  o.read_policy.injected_latency_seconds = injected_read_latency_from_env();
  o.prefetch_batches = data.prefetch_factor;
  o.shuffle_buffer = data.shuffle_buffer;
  o.s3 = s3_settings_request(config);
  o.s3_requests = data.s3_requests;
  o.sampler.shuffle = train;
  o.sampler.drop_last = train;
  o.sampler.seed = static_cast<uint64_t>(config.train.seed);
  o.sampler.rank = rank;
  o.sampler.world_size = world_size;
  o.transform.random_crop = train;
  o.transform.size = train || data.val_img_size == 0 ? data.img_size : data.val_img_size;
  o.transform.crop_scale = data.crop_scale;
  o.transform.crop_ratio = data.crop_ratio;
  o.transform.hflip_prob = data.hflip_prob;
  o.transform.val_crop_ratio = data.val_crop_ratio;
  o.transform.val_resize = data.val_resize_size;
  if (train) {
    const AugmentConfig& a = config.augment;
    o.sampler.aug_repeats = a.aug_repeats;
    o.transform.interpolation = a.train_interpolation == TrainInterpolation::kBicubic
                                    ? Interpolation::kBicubic
                                    : Interpolation::kBilinear;
    o.transform.augment =
        parse_augment_policy(a.auto_augment, o.transform.interpolation,
                             str_cat(config.origin_of("auto_augment"), ": auto_augment"));
    o.transform.erasing.probability = a.reprob;
    o.transform.erasing.mode = a.remode == RandomEraseMode::kConst  ? EraseMode::kConst
                               : a.remode == RandomEraseMode::kRand ? EraseMode::kRand
                                                                    : EraseMode::kPixel;
    o.transform.erasing.max_count = a.recount;
  }
  o.max_bad_fraction = data.max_bad_samples_fraction;
  o.max_image_pixels = data.max_image_pixels;
  return o;
}

void check_loader_config(const Config& config) {
  loader_options_from_config(config, /*train=*/true);
}

std::string loader_bottleneck_advice(const LoaderEpochStats& stats, double epoch_seconds,
                                     const LoaderOptions& options, int cores, SampleOrigin origin) {
  const int workers = std::max(1, options.num_workers);
  const double busy = stats.decode_seconds / std::max(1e-9, epoch_seconds * workers);
  const std::string busy_text = str_printf("%.0f%%", 100.0 * std::min(1.0, busy));
  if (busy >= 0.7) {
    if (workers < cores)
      return str_cat("the ", workers, " decode threads were busy ", busy_text,
                     " of the time: raise num_workers (this machine has ", cores, " cores).");
    return str_cat("the ", workers, " decode threads were busy ", busy_text, " of the time on ",
                   cores,
                   " cores: decoding needs more cores than this machine has for its GPUs; "
                   "lower img_size for quick experiments, or use a machine with more cores "
                   "per GPU.");
  }
  const std::string waited =
      str_cat("the decode threads were busy only ", busy_text, " of the time: they waited for ");
  const std::string retried = stats.read_retries > 0
                                  ? str_cat(" ", stats.read_retries,
                                            " reads were retried this epoch (a store that "
                                            "throttles or fails: see the log's retry counts).")
                                  : std::string();
  const int streams = std::clamp(options.io_threads, 1, kMaxShardStreams);
  switch (origin) {
    case SampleOrigin::files:
      return str_cat(waited, "files. Raise io_threads (now ", options.io_threads,
                     ") for an S3 mount or FSx, read the bucket directly (data_root: "
                     "s3://bucket/prefix), copy the data to a local disk (imagenet_train "
                     "subset), or pack it into shards (imagenet_train pack, data_format: "
                     "shards).",
                     retried);
    case SampleOrigin::shards:
      return str_cat(
          waited, "shards, read by ", streams, " streams (io_threads ", options.io_threads,
          ", at most ", kMaxShardStreams, ")",
          streams < kMaxShardStreams ? str_cat(": raise io_threads to ", kMaxShardStreams)
                                     : ": the storage's bandwidth is the limit",
          ". Copy the shards to a local disk, or use fewer, larger shards on a mount.", retried);
    case SampleOrigin::s3_objects:
      return str_cat(waited, "S3 (", options.s3_requests,
                     " GETs in flight, s3_requests): raise s3_requests, pack the set into "
                     "shards in the bucket (imagenet_train pack --dst s3://..., data_format: "
                     "shards: a few large ranged GETs instead of one request per image), or "
                     "copy it to a local disk (imagenet_train subset).",
                     retried);
    case SampleOrigin::s3_shards:
      return str_cat(waited, "S3 shards, read by ", streams, " streams of ranged GETs (io_threads ",
                     options.io_threads, ", at most ", kMaxShardStreams, ")",
                     streams < kMaxShardStreams
                         ? str_cat(": raise io_threads to ", kMaxShardStreams)
                         : ": the bandwidth to the bucket is the limit (train in "
                           "the bucket's region)",
                     ", or copy the data to a local disk (imagenet_train subset).", retried);
  }
  return waited;
}

SampleOrigin sample_origin(const DatasetIndex& index) {
  const bool s3 = is_s3_uri(index.split_dir);
  if (index.shards.empty()) return s3 ? SampleOrigin::s3_objects : SampleOrigin::files;
  return s3 ? SampleOrigin::s3_shards : SampleOrigin::shards;
}

}  // namespace imagenet
