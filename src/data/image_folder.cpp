// Implements data/image_folder.h with std::filesystem.
#include "imagenet/data/image_folder.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <set>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace fs = std::filesystem;

namespace {

/// Entries of a folder whose type cannot be found (a symbolic link that loops or points
/// nowhere): skipped, with one warning naming a few of them. Nothing here follows links
/// recursively, so a loop can never make a scan hang.
class UnfollowableEntries {
 public:
  void add(const fs::directory_entry& entry, const std::error_code& ec) {
    if (names_.size() < 3)
      names_.push_back(entry.path().filename().string() + " (" + ec.message() + ")");
    ++count_;
  }
  void warn(const std::string& folder, const char* what) const {
    if (count_ == 0) return;
    log_warn(str_cat("skipping ", count_, " entr", count_ == 1 ? "y" : "ies", " of ", folder,
                     " that cannot be followed (", what, "): ", str_join(names_, ", "),
                     count_ > static_cast<int>(names_.size()) ? ", ..." : ""));
  }

 private:
  std::vector<std::string> names_;
  int count_ = 0;
};

std::string cannot_list(const std::string& folder, const std::error_code& ec) {
  return str_cat("cannot list ", folder, ": ", ec.message(),
                 ". Make it readable for this user (chmod -R a+rX) or remove it.");
}

}  // namespace

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
  UnfollowableEntries skipped;
  for (fs::directory_iterator it(split_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    const bool folder = it->is_directory(type_ec);
    if (type_ec) {
      skipped.add(*it, type_ec);
    } else if (folder) {
      classes.push_back(it->path().filename().string());
    }
  }
  if (ec) throw UsageError(cannot_list(split_dir, ec));
  skipped.warn(split_dir, "not class folders");
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
  const std::vector<std::string> all = list_class_folders(root + "/train");
  std::vector<std::string> selected = select_classes(all, count, seed);
  check_val_classes(root + "/val", list_class_folders(root + "/val"), root + "/train", all,
                    selected);
  return selected;
}

namespace {

/// The names of `a` that `b` lacks (both sorted), at most `limit` of them plus "..." and the count.
std::string missing_names(const std::vector<std::string>& a, const std::vector<std::string>& b,
                          size_t* count) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  *count = out.size();
  constexpr size_t kLimit = 10;
  if (out.size() > kLimit) {
    out.resize(kLimit);
    out.push_back("...");
  }
  return str_join(out, ", ");
}

}  // namespace

void check_val_classes(const std::string& val_dir, const std::vector<std::string>& val_classes,
                       const std::string& train_dir, const std::vector<std::string>& train_classes,
                       const std::vector<std::string>& selected) {
  size_t extra = 0, missing = 0;
  const std::string extra_names = missing_names(val_classes, train_classes, &extra);
  if (extra > 0)
    throw UsageError(str_cat(val_dir, " has ", extra, " class folder", extra == 1 ? "" : "s",
                             " that ", train_dir, " lacks: ", extra_names,
                             ". Labels come from the class folders of train/, so these images "
                             "would have no label: remove them from val/ or add them to train/."));
  const std::string missing_list = missing_names(selected, val_classes, &missing);
  if (missing > 0)
    throw UsageError(str_cat(val_dir, " lacks ", missing, " of the class folders of ", train_dir,
                             ": ", missing_list,
                             ". Every class trained on needs a folder of validation images in "
                             "val/ (the class list comes from train/)."));
}

std::vector<std::string> list_class_images(const std::string& class_dir) {
  std::error_code ec;
  if (!fs::is_directory(class_dir, ec))
    throw UsageError(str_cat(class_dir,
                             " is missing: every class of train/ needs a "
                             "folder in val/ too (the class list comes from train/)."));
  std::vector<std::string> names;
  UnfollowableEntries skipped;
  for (fs::directory_iterator it(class_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!is_image_file_name(name)) continue;
    std::error_code type_ec;
    const bool folder = it->is_directory(type_ec);
    if (type_ec) {
      skipped.add(*it, type_ec);
    } else if (!folder) {
      names.push_back(std::move(name));
    }
  }
  if (ec) throw UsageError(cannot_list(class_dir, ec));
  skipped.warn(class_dir, "not images");
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
