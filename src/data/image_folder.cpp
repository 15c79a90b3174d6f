// Implements data/image_folder.h with std::filesystem.
#include "imagenet/data/image_folder.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace fs = std::filesystem;

bool is_image_file_name(const std::string& name) {
  std::string lower = str_to_lower(name);
  return str_ends_with(lower, ".jpg") || str_ends_with(lower, ".jpeg") ||
         str_ends_with(lower, ".png");
}

std::vector<std::string> list_class_folders(const std::string& split_dir) {
  std::error_code ec;
  if (!fs::is_directory(split_dir, ec))
    throw UsageError(str_cat("data folder ", split_dir,
                             " does not exist. data_root must hold train/ and val/, each with "
                             "one folder of images per class."));
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(split_dir, ec)) {
    std::error_code type_ec;
    if (entry.is_directory(type_ec)) classes.push_back(entry.path().filename().string());
  }
  if (ec) throw UsageError(str_cat("cannot list ", split_dir, ": ", ec.message()));
  if (classes.empty())
    throw UsageError(str_cat(split_dir,
                             " has no class folders. Expected one sub-folder of images per "
                             "class, e.g. ",
                             split_dir, "/n01440764/*.JPEG."));
  std::sort(classes.begin(), classes.end());
  return classes;
}

std::vector<std::string> select_classes(const std::vector<std::string>& all, int count,
                                        int64_t seed) {
  if (count == 0 || count == static_cast<int>(all.size())) return all;
  if (count > static_cast<int>(all.size()))
    throw UsageError(str_cat("num_classes is ", count, " but the data has only ", all.size(),
                             " class folders. Lower num_classes or use 0 for all classes."));
  std::vector<std::string> shuffled = all;
  Rng rng(derive_seed(static_cast<uint64_t>(seed), 0x5b5e7));
  rng.shuffle(shuffled);
  shuffled.resize(count);
  std::sort(shuffled.begin(), shuffled.end());
  return shuffled;
}

std::vector<std::string> select_source_classes(const std::string& root, int count, int64_t seed) {
  for (const char* split : {"train", "val"})
    IMAGENET_USAGE_CHECK(is_directory(root + "/" + split), root, " has no ", split,
                         "/ folder: --src must hold train/ and val/ with one folder per class.");
  return select_classes(list_class_folders(root + "/train"), count, seed);
}

std::vector<std::string> list_class_images(const std::string& class_dir) {
  std::error_code ec;
  if (!fs::is_directory(class_dir, ec))
    throw UsageError(str_cat(class_dir,
                             " is missing: every class of train/ needs a "
                             "folder in val/ too (the class list comes from train/)."));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(class_dir, ec)) {
    std::error_code type_ec;
    std::string name = entry.path().filename().string();
    if (is_image_file_name(name) && !entry.is_directory(type_ec)) names.push_back(name);
  }
  if (ec) throw UsageError(str_cat("cannot list ", class_dir, ": ", ec.message()));
  if (names.empty())
    throw UsageError(str_cat(class_dir,
                             " has no images (.jpg, .jpeg or .png files). Add images or "
                             "remove the folder."));
  std::sort(names.begin(), names.end());
  return names;
}

DatasetIndex make_dataset_index(const std::string& split_dir,
                                const std::vector<std::string>& classes,
                                const std::vector<std::vector<std::string>>& names) {
  DatasetIndex index;
  index.split_dir = split_dir;
  index.classes = classes;
  size_t total = 0;
  for (const auto& n : names) total += n.size();
  index.samples.reserve(total);
  for (size_t label = 0; label < classes.size(); ++label) {
    const std::string dir = (fs::path(split_dir) / classes[label]).string() + "/";
    for (const auto& name : names[label])
      index.samples.push_back({dir + name, static_cast<int64_t>(label)});
  }
  return index;
}

DatasetIndex scan_image_folder(const std::string& split_dir,
                               const std::vector<std::string>& classes, int threads) {
  std::vector<std::vector<std::string>> names(classes.size());
  parallel_for(static_cast<int64_t>(classes.size()), threads, [&](int64_t i) {
    names[i] = list_class_images((fs::path(split_dir) / classes[i]).string());
  });
  return make_dataset_index(split_dir, classes, names);
}

}  // namespace imagenet
