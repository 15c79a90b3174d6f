// Implements data/loader_options.h.
#include "imagenet/data/loader_options.h"

#include "imagenet/data/file_reader.h"

#include <algorithm>

#include "imagenet/util/strings.h"

namespace imagenet {

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
  o.max_bad_fraction = data.max_bad_samples_fraction;
  o.max_image_pixels = data.max_image_pixels;
  return o;
}

std::string loader_bottleneck_advice(const LoaderEpochStats& stats, double epoch_seconds,
                                     const LoaderOptions& options, int cores) {
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
  return str_cat("the decode threads were busy only ", busy_text,
                 " of the time: they waited for files. Raise io_threads (now ", options.io_threads,
                 ") for an S3 mount or FSx, copy the data to a local disk (imagenet_train "
                 "subset), or pack it into shards (imagenet_train pack, data_format: shards).");
}

}  // namespace imagenet
