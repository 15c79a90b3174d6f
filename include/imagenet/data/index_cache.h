// The index of an ImageFolder split (every file and its label), cached in a file so that a
// run on a network file system does not list 1.28 million files again. The cache is reused
// when the split is unchanged: the same class folders, each with the same modification time
// (adding or removing a file changes its folder's time on local disks, NFS and Lustre/FSx).
// S3 mounts do not keep folder times: after changing such data, scan again with --rescan.
#pragma once

#include <string>
#include <vector>

#include "imagenet/data/image_folder.h"

namespace imagenet {

struct IndexCacheOptions {
  /// Folder of the cache files (created when needed); empty: no cache.
  std::string cache_dir;
  /// Ignore a cached index and list the folders again (the cache is then rewritten).
  bool rescan = false;
  /// Write the cache back when anything was listed (false: use it, never change it).
  bool write = true;
  /// Threads listing or checking class folders in parallel.
  int threads = 16;
};

struct IndexCacheReport {
  std::string cache_path;   ///< the cache file used or written ("" without a cache)
  int classes_reused = 0;   ///< class folders taken from the cache
  int classes_scanned = 0;  ///< class folders listed (new, changed, or --rescan)
};

/// scan_image_folder(split_dir, classes), reusing the cached listing of every class folder
/// whose modification time is unchanged, and writing the cache back when anything was listed.
/// A cache file that cannot be read is ignored (and replaced); one that cannot be written is
/// reported in the log, and the index is still returned.
DatasetIndex scan_image_folder_cached(const std::string& split_dir,
                                      const std::vector<std::string>& classes,
                                      const IndexCacheOptions& options,
                                      IndexCacheReport* report = nullptr);

}  // namespace imagenet
