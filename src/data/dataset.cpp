// Implements data/dataset.h.
#include "imagenet/data/dataset.h"

#include <chrono>
#include <functional>

#include "imagenet/data/index_cache.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/data/s3_image_folder.h"
#include "imagenet/data/shards.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {

std::string index_cache_dir(const Config& config) {
  if (!config.data.index_cache_dir.empty()) return config.data.index_cache_dir;
  return config.output.output_dir + "/index_cache";
}

namespace {

/// A packed dataset: both splits' shard indexes (read_index(split_dir) reads one), which must
/// list the same classes.
DataSplits open_shards(const Config& config, const OpenDataOptions& options,
                       const std::function<DatasetIndex(const std::string&)>& read_index) {
  const std::string& root = config.data.data_root;
  DataSplits data;
  data.train = std::make_shared<DatasetIndex>(read_index(root + "/train"));
  const auto& classes = data.train->classes;
  if (config.model.num_classes != 0 && config.model.num_classes != static_cast<int>(classes.size()))
    throw UsageError(str_cat(config.origin_of("num_classes"), ": num_classes is ",
                             config.model.num_classes, " but the shards in ", root, " hold ",
                             classes.size(),
                             " classes. Pack the subset you want (imagenet_train pack "
                             "--num_classes N --subset_seed S) and set num_classes to 0 or ",
                             classes.size(), "."));
  if (options.with_val) {
    data.val = std::make_shared<DatasetIndex>(read_index(root + "/val"));
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

/// The log line of an ImageFolder dataset's index.
void log_folder_index(const Config& config, const OpenDataOptions& options, const DataSplits& data,
                      size_t all_classes, double seconds, const IndexCacheReport& train,
                      const IndexCacheReport& val, const std::string& cache_dir) {
  const size_t classes = data.train->classes.size();
  log_info(
      str_cat("data: ", config.data.data_root, ": ", classes, " classes",
              classes < all_classes
                  ? str_cat(" (of ", all_classes, ", subset_seed ", config.model.subset_seed, ")")
                  : std::string(),
              ", ", data.train->samples.size(), " training",
              data.val ? str_cat(" and ", data.val->samples.size(), " validation") : std::string(),
              " images; index in ", str_printf("%.1f", seconds), " s (",
              train.classes_scanned + val.classes_scanned, " class folders listed",
              options.rescan ? " (--rescan)" : "", ", ", train.classes_reused + val.classes_reused,
              " from the cache in ", cache_dir, ")"));
}

/// data_root s3://bucket/prefix: a first request that fails fast on wrong credentials or an
/// unreachable endpoint, then the shard indexes (GETs), or the class prefixes (one delimiter
/// listing per split) and each class's objects (ListObjectsV2, paginated, in parallel) through
/// the index cache. S3 keeps no folder times: a cached class is reused until --rescan, a new
/// class selection lists only the classes not in the cache, and another endpoint, bucket or
/// prefix is another cache file.
DataSplits open_s3_datasets(const Config& config, const OpenDataOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const S3Uri root = parse_s3_uri(config.data.data_root, config.origin_of("data_root"));
  S3ClientOptions client_options;
  client_options.settings = resolve_s3_settings(s3_settings_request(config));
  const int threads = std::max(1, config.data.io_threads);
  client_options.max_in_flight = threads;
  S3Client client(client_options);
  client.check_access(root.bucket, root.prefix);

  if (config.data.data_format == DataFormat::kShards)
    return open_shards(config, options, [&](const std::string& split_dir) {
      const S3Uri split = parse_s3_uri(split_dir);
      S3Request request;
      request.bucket = split.bucket;
      request.key = split.key(kShardIndexName);
      S3Response response = client.perform(request);
      if (response.status == 404)
        throw UsageError(str_cat(split.str(), "/", kShardIndexName,
                                 " not found. data_format: shards reads the shards that "
                                 "`imagenet_train pack --src DIR --dst ",
                                 root.str(), "` writes."));
      if (!response.ok()) throw_s3_failure(response, request, client.options().settings);
      return parse_shard_index(response.body, split_dir);
    });

  const std::vector<std::string> all = list_s3_class_folders(client, root.child("train"));
  if (options.with_val) list_s3_class_folders(client, root.child("val"));  // throws when none
  const std::vector<std::string> classes =
      select_classes(all, config.model.num_classes, config.model.subset_seed);
  IndexCacheOptions cache;
  cache.cache_dir = index_cache_dir(config);
  cache.rescan = options.rescan;
  cache.write = options.write_index_cache;
  cache.threads = threads;
  auto index_split = [&](const std::string& name, IndexCacheReport* report) {
    const S3Uri split = root.child(name);
    FolderLister lister;
    lister.stamp = [](const std::string&) -> int64_t { return 0; };
    lister.list = [&](const std::string& class_name) {
      const std::string prefix = split.child(class_name).prefix + "/";
      const auto objects = list_s3_class_images(client, split, {class_name}, 1);
      std::vector<std::string> names;
      for (const S3Object& object : objects[0]) names.push_back(s3_object_name(object, prefix));
      return names;
    };
    lister.identity = str_cat(split.str(), " at ", client.options().settings.endpoint);
    return std::make_shared<DatasetIndex>(
        cached_folder_index(split.str(), classes, cache, lister, report));
  };
  DataSplits data;
  data.train = index_split("train", &data.train_cache);
  if (options.with_val) data.val = index_split("val", &data.val_cache);
  log_folder_index(config, options, data, all.size(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   data.train_cache, data.val_cache, cache.cache_dir);
  return data;
}

}  // namespace

DataSplits open_datasets(const Config& config, const OpenDataOptions& options) {
  const std::string& root = config.data.data_root;
  if (root.empty())
    throw UsageError(
        "data_root is not set: give it in the config or with --data_root DIR "
        "(a folder holding train/ and val/).");
  if (is_s3_uri(root)) return open_s3_datasets(config, options);
  if (!is_directory(root))
    throw UsageError(
        str_cat(config.origin_of("data_root"), ": data_root ", root, " is not a folder."));
  for (const char* split : {"train", "val"})
    if ((std::string(split) == "train" || options.with_val) && !is_directory(root + "/" + split))
      throw UsageError(str_cat(root, " has no ", split,
                               "/ folder. data_root must hold train/ and "
                               "val/, each with one folder of images per class."));
  const auto start = std::chrono::steady_clock::now();
  if (config.data.data_format == DataFormat::kShards)
    return open_shards(config, options, read_shard_index);
  std::vector<std::string> all = list_class_folders(root + "/train");
  std::vector<std::string> classes =
      select_classes(all, config.model.num_classes, config.model.subset_seed);
  // A val/ class that train/ lacks would be dropped without a word: refuse it, naming it,
  // before anything (the index cache) is written.
  if (options.with_val)
    check_val_classes(root + "/val", list_class_folders(root + "/val"), root + "/train", all,
                      classes);

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

  log_folder_index(config, options, data, all.size(), seconds, data.train_cache, data.val_cache,
                   cache.cache_dir);
  return data;
}

}  // namespace imagenet
