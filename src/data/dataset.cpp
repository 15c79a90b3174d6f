// Implements data/dataset.h.
#include "imagenet/data/dataset.h"

#include <chrono>

#include "imagenet/data/index_cache.h"
#include "imagenet/data/shards.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {

std::string index_cache_dir(const Config& config) {
  if (!config.data.index_cache_dir.empty()) return config.data.index_cache_dir;
  return config.output.output_dir + "/index_cache";
}

namespace {

/// A packed dataset: both splits' shard indexes, which must list the same classes.
DataSplits open_shards(const Config& config, const OpenDataOptions& options) {
  const std::string& root = config.data.data_root;
  DataSplits data;
  data.train = std::make_shared<DatasetIndex>(read_shard_index(root + "/train"));
  const auto& classes = data.train->classes;
  if (config.model.num_classes != 0 && config.model.num_classes != static_cast<int>(classes.size()))
    throw UsageError(str_cat(config.origin_of("num_classes"), ": num_classes is ",
                             config.model.num_classes, " but the shards in ", root, " hold ",
                             classes.size(),
                             " classes. Pack the subset you want (imagenet_train pack "
                             "--num_classes N --subset_seed S) and set num_classes to 0 or ",
                             classes.size(), "."));
  if (options.with_val) {
    data.val = std::make_shared<DatasetIndex>(read_shard_index(root + "/val"));
    if (data.val->classes != classes)
      throw UsageError(str_cat(root, "/val/", kShardIndexName, " lists other classes than ", root,
                               "/train/", kShardIndexName, ". Pack both splits together."));
  }
  log_info(str_cat("data: ", root, " (shards): ", classes.size(), " classes, ",
                   data.train->samples.size(), " training images in ", data.train->shards.size(),
                   " shards",
                   data.val ? str_cat(", ", data.val->samples.size(), " validation images in ",
                                      data.val->shards.size(), " shards")
                            : std::string()));
  return data;
}

}  // namespace

DataSplits open_datasets(const Config& config, const OpenDataOptions& options) {
  const std::string& root = config.data.data_root;
  if (root.empty())
    throw UsageError(
        "data_root is not set: give it in the config or with --data_root DIR "
        "(a folder holding train/ and val/).");
  if (!is_directory(root))
    throw UsageError(
        str_cat(config.origin_of("data_root"), ": data_root ", root, " is not a folder."));
  for (const char* split : {"train", "val"})
    if ((std::string(split) == "train" || options.with_val) && !is_directory(root + "/" + split))
      throw UsageError(str_cat(root, " has no ", split,
                               "/ folder. data_root must hold train/ and "
                               "val/, each with one folder of images per class."));
  const auto start = std::chrono::steady_clock::now();
  if (config.data.data_format == DataFormat::kShards) return open_shards(config, options);
  std::vector<std::string> all = list_class_folders(root + "/train");
  std::vector<std::string> classes =
      select_classes(all, config.model.num_classes, config.model.subset_seed);

  IndexCacheOptions cache;
  cache.cache_dir = index_cache_dir(config);
  cache.rescan = options.rescan;
  cache.write = options.write_index_cache;
  cache.threads = std::max(1, config.data.io_threads);
  DataSplits data;
  data.train = std::make_shared<DatasetIndex>(
      scan_image_folder_cached(root + "/train", classes, cache, &data.train_cache));
  if (options.with_val)
    data.val = std::make_shared<DatasetIndex>(
        scan_image_folder_cached(root + "/val", classes, cache, &data.val_cache));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const int reused = data.train_cache.classes_reused + data.val_cache.classes_reused;
  const int scanned = data.train_cache.classes_scanned + data.val_cache.classes_scanned;
  log_info(
      str_cat("data: ", root, ": ", classes.size(), " classes",
              classes.size() < all.size()
                  ? str_cat(" (of ", all.size(), ", subset_seed ", config.model.subset_seed, ")")
                  : std::string(),
              ", ", data.train->samples.size(), " training",
              data.val ? str_cat(" and ", data.val->samples.size(), " validation") : std::string(),
              " images; index in ", str_printf("%.1f", seconds), " s (", scanned,
              " class folders listed", options.rescan ? " (--rescan)" : "", ", ", reused,
              " from the cache in ", cache.cache_dir, ")"));
  return data;
}

}  // namespace imagenet
