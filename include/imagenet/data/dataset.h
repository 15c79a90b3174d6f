// Opening a run's data: the checks on data_root's layout, the class subset (num_classes,
// subset_seed) and the index of the training and validation sets, cached between runs.
#pragma once

#include <memory>
#include <string>

#include "imagenet/config/config.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/data/index_cache.h"

namespace imagenet {

/// The training and validation sets of a run.
struct DataSplits {
  std::shared_ptr<const DatasetIndex> train;
  std::shared_ptr<const DatasetIndex> val;  ///< null when not asked for
  /// How the index cache served each split (image folders only).
  IndexCacheReport train_cache, val_cache;
};

struct OpenDataOptions {
  /// List the folders again instead of trusting the index cache (--rescan).
  bool rescan = false;
  /// Also open val/ (bench-data needs only one split).
  bool with_val = true;
  /// Write the index cache back when folders were listed (preflight reads it only).
  bool write_index_cache = true;
};

/// The index cache folder of `config`: index_cache_dir, or <output_dir>/index_cache.
std::string index_cache_dir(const Config& config);

/// Checks data_root (train/ and val/ with class folders), picks the classes, and indexes the
/// splits, reusing the index cache when the folders are unchanged. Logs what it found.
/// Throws UsageError naming the folder or key on layout problems.
DataSplits open_datasets(const Config& config, const OpenDataOptions& options = {});

}  // namespace imagenet
