// The index of an ImageFolder split (every file and its label), cached in a file so that a
// run on a network file system does not list 1.28 million files again. The cache is reused
// when the split is unchanged: the same class folders, each with the same modification time
// (adding or removing a file changes its folder's time on local disks, NFS and Lustre/FSx).
// S3 mounts do not keep folder times: after changing such data, scan again with --rescan.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
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

/// One class folder as a cache file records it.
struct CachedClassListing {
  int64_t mtime_ns = -1;           ///< the folder's modification time
  std::vector<std::string> names;  ///< its image file names, sorted
};

/// The text of a cache file for `split_dir` holding `classes` (by class folder name). Names are
/// written with '%', control characters and spaces percent-encoded, so that any file name
/// (spaces, newlines, non-ASCII) survives the line-based format.
std::string format_index_cache(const std::string& split_dir,
                               const std::map<std::string, CachedClassListing>& classes);

/// Parses what format_index_cache wrote. False, with `out` empty, when the text is for another
/// folder, another format version, or damaged in any way (never an exception).
bool parse_index_cache(std::string_view text, const std::string& split_dir,
                       std::map<std::string, CachedClassListing>* out);

/// scan_image_folder(split_dir, classes), reusing the cached listing of every class folder
/// whose modification time is unchanged, and writing the cache back when anything was listed.
/// A cache file that cannot be read is ignored (and replaced); one that cannot be written is
/// reported in the log, and the index is still returned.
/// How cached_folder_index looks at the class folders of a split.
struct FolderLister {
  /// A number that changes whenever the folder's listing does (its modification time); -1:
  /// unknown, so the folder is always listed. S3 keeps no folder times: its lister returns 0,
  /// and a cached class is reused until --rescan.
  std::function<int64_t(const std::string& class_name)> stamp;
  /// The sorted image names of one class folder; throws UsageError when it has none.
  std::function<std::vector<std::string>(const std::string& class_name)> list;
  /// What the cache is for, written in it and hashed into its name; empty: the split folder
  /// (an s3:// split adds its endpoint, so another store's listing is never taken).
  std::string identity;
};

/// The index of `classes` under `split_dir`, each class taken from the cache while its stamp
/// is unchanged, else listed (`options.threads` at once); the cache is rewritten when anything
/// was listed. The engine of scan_image_folder_cached and of S3 listings.
DatasetIndex cached_folder_index(const std::string& split_dir,
                                 const std::vector<std::string>& classes,
                                 const IndexCacheOptions& options, const FolderLister& lister,
                                 IndexCacheReport* report = nullptr);

DatasetIndex scan_image_folder_cached(const std::string& split_dir,
                                      const std::vector<std::string>& classes,
                                      const IndexCacheOptions& options,
                                      IndexCacheReport* report = nullptr);

}  // namespace imagenet
