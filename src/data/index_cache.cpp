// Implements data/index_cache.h. The cache is a text file:
//   imagenet_train index v1
//   split <split_dir>
//   class <name> <folder mtime in ns> <count>
//   <file name>            (count lines)
// one class after the other; the file name of the cache is a hash of the split folder.
#include "imagenet/data/index_cache.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHeader = "imagenet_train index v1";

struct CachedClass {
  int64_t mtime_ns = -1;
  std::vector<std::string> names;
};

/// The folder's modification time in nanoseconds, or -1 when it cannot be read.
int64_t folder_mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string cache_file_for(const std::string& cache_dir, const std::string& split_dir) {
  std::error_code ec;
  std::string absolute = fs::absolute(split_dir, ec).lexically_normal().string();
  if (ec) absolute = split_dir;
  uint64_t h = 0;
  for (unsigned char c : absolute) h = derive_seed(h, c);
  std::string name = fs::path(absolute).filename().string();
  return str_printf("%s/%s-%016llx.index", cache_dir.c_str(), name.c_str(),
                    static_cast<unsigned long long>(h));
}

/// Reads a cache file; an empty map when it is missing, for another folder, or damaged.
std::map<std::string, CachedClass> read_cache(const std::string& path,
                                              const std::string& split_dir) {
  std::map<std::string, CachedClass> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  if (!std::getline(in, line) || line != kHeader) return out;
  if (!std::getline(in, line) || line != "split " + split_dir) return out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, name;
    CachedClass entry;
    int64_t count = -1;
    if (!(fields >> kind >> name >> entry.mtime_ns >> count) || kind != "class" || count < 0)
      return {};
    entry.names.resize(static_cast<size_t>(count));
    for (auto& file : entry.names)
      if (!std::getline(in, file)) return {};
    out[name] = std::move(entry);
  }
  return out;
}

void write_cache(const std::string& path, const std::string& split_dir,
                 const std::vector<std::string>& classes, const std::vector<CachedClass>& entries,
                 const std::map<std::string, CachedClass>& others) {
  std::map<std::string, const CachedClass*> all;
  for (const auto& [name, entry] : others) all[name] = &entry;
  for (size_t i = 0; i < classes.size(); ++i) all[classes[i]] = &entries[i];
  std::string text = str_cat(kHeader, "\nsplit ", split_dir, "\n");
  for (const auto& [name, entry] : all) {
    text += str_cat("class ", name, " ", entry->mtime_ns, " ", entry->names.size(), "\n");
    for (const auto& file : entry->names) text += file + "\n";
  }
  ensure_directory(fs::path(path).parent_path().string());
  write_file_replace(path, text);
}

}  // namespace

DatasetIndex scan_image_folder_cached(const std::string& split_dir,
                                      const std::vector<std::string>& classes,
                                      const IndexCacheOptions& options, IndexCacheReport* report) {
  IndexCacheReport local;
  IndexCacheReport& r = report ? *report : local;
  r = IndexCacheReport{};
  if (options.cache_dir.empty()) {
    r.classes_scanned = static_cast<int>(classes.size());
    return scan_image_folder(split_dir, classes, options.threads);
  }
  r.cache_path = cache_file_for(options.cache_dir, split_dir);
  std::map<std::string, CachedClass> cached;
  if (!options.rescan) cached = read_cache(r.cache_path, split_dir);

  // Check every class folder's time (one stat each, in parallel); list the changed ones.
  std::vector<CachedClass> entries(classes.size());
  std::vector<char> reused(classes.size(), 0);
  parallel_for(static_cast<int64_t>(classes.size()), options.threads, [&](int64_t i) {
    const std::string dir = (fs::path(split_dir) / classes[i]).string();
    const int64_t mtime = folder_mtime_ns(dir);
    auto it = cached.find(classes[i]);
    if (it != cached.end() && mtime >= 0 && it->second.mtime_ns == mtime &&
        !it->second.names.empty()) {
      entries[i] = it->second;
      reused[i] = 1;
      return;
    }
    entries[i].mtime_ns = mtime;
    entries[i].names = list_class_images(dir);
  });
  std::vector<std::vector<std::string>> names(classes.size());
  for (size_t i = 0; i < classes.size(); ++i) {
    r.classes_reused += reused[i];
    names[i] = entries[i].names;
  }
  r.classes_scanned = static_cast<int>(classes.size()) - r.classes_reused;
  if (r.classes_scanned > 0 && options.write) {
    for (const auto& name : classes) cached.erase(name);
    try {
      write_cache(r.cache_path, split_dir, classes, entries, cached);
    } catch (const std::exception& e) {
      log_warn(str_cat("could not write the index cache ", r.cache_path, ": ", e.what(),
                       ". The next run lists the folders again."));
    }
  }
  return make_dataset_index(split_dir, classes, names);
}

}  // namespace imagenet
