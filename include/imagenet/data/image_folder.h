// The dataset index of an ImageFolder tree (root/<split>/<class>/<image>): class names sorted
// as torchvision sorts them, the optional class subset, and every image with its label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

struct Sample {
  std::string path;  ///< full path of the image file
  int64_t label = 0;
};

/// A tar shard of a packed dataset (data/shards.h): samples [first_sample, + samples).
struct ShardInfo {
  std::string path;
  int64_t first_sample = 0;
  int64_t samples = 0;
  int64_t bytes = 0;
};

struct DatasetIndex {
  std::string split_dir;             ///< e.g. /data/imagenet/train
  std::vector<std::string> classes;  ///< class folder names; label i is classes[i]
  std::vector<Sample> samples;       ///< sorted by label, then by file name
  /// Packed datasets only: the shards holding the samples, in dataset order.
  std::vector<ShardInfo> shards;
};

/// True for .jpg/.jpeg/.png in any letter case (the extensions ImageFolder reads here).
bool is_image_file_name(const std::string& name);

/// Class folder names directly under `split_dir`, sorted by name (torchvision's order).
/// Throws UsageError when the folder is missing, cannot be listed or holds no class folders.
/// Entries that cannot be followed (a looping or dangling symbolic link) are skipped with a
/// warning; nothing is followed recursively, so no layout makes the scan hang.
std::vector<std::string> list_class_folders(const std::string& split_dir);

/// `count` classes picked reproducibly from `all` with `seed`, returned sorted by name;
/// count 0 (or count == all.size()) returns `all`. Throws UsageError when count > all.size().
std::vector<std::string> select_classes(const std::vector<std::string>& all, int count,
                                        int64_t seed);

/// The classes of a dataset folder that commands copy or convert (subset, pack): checks that
/// `root` holds train/ and val/ (UsageError otherwise) and selects from train/'s classes as
/// select_classes does.
std::vector<std::string> select_source_classes(const std::string& root, int count, int64_t seed);

/// Checks the class folders of val/ (`val_classes`, sorted) against train/'s (`train_classes`,
/// sorted) and the classes a run uses (`selected`, sorted): labels come from train/'s list, so a
/// val/ class that train/ lacks would be dropped without a word, and a selected class missing in
/// val/ would go unvalidated. Throws UsageError naming the classes of either kind.
void check_val_classes(const std::string& val_dir, const std::vector<std::string>& val_classes,
                       const std::string& train_dir, const std::vector<std::string>& train_classes,
                       const std::vector<std::string>& selected);

/// The image file names in one class folder, sorted. Throws UsageError naming the folder when
/// it is missing, cannot be listed or has no images. Image names that cannot be followed
/// (looping or dangling symbolic links) are skipped with a warning.
std::vector<std::string> list_class_images(const std::string& class_dir);

/// A DatasetIndex from the sorted image names of each class (names[i] for classes[i]).
DatasetIndex make_dataset_index(const std::string& split_dir,
                                const std::vector<std::string>& classes,
                                const std::vector<std::vector<std::string>>& names);

/// Lists the images of `classes` under `split_dir`; label i is classes[i].
/// Throws UsageError naming the folder when a class folder is missing or has no images.
/// `threads` list class folders in parallel (network file systems answer each slowly).
DatasetIndex scan_image_folder(const std::string& split_dir,
                               const std::vector<std::string>& classes, int threads = 1);

}  // namespace imagenet
