// Implements data/index_cache.h. The cache is a text file:
//   imagenet_train index v2
//   split <split_dir>
//   class <name> <folder mtime in ns> <count>
//   <file name>            (count lines)
// one class after the other, every name percent-encoded (v1 wrote them raw: a space in a class
// name or a newline in a file name broke it); the file name of the cache is a hash of the split
// folder.
#include "imagenet/data/index_cache.h"

#include <sys/stat.h>

#include <charconv>
#include <filesystem>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeader = "imagenet_train index v2";

/// The folder's modification time in nanoseconds, or -1 when it cannot be read.
int64_t folder_mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

/// `identity` is the split folder (made absolute), or an s3:// split with its endpoint.
std::string cache_file_for(const std::string& cache_dir, const std::string& identity,
                           const std::string& split_dir) {
  std::string absolute = identity;
  if (identity == split_dir) {
    std::error_code ec;
    absolute = fs::absolute(split_dir, ec).lexically_normal().string();
    if (ec) absolute = split_dir;
  }
  uint64_t h = 0;
  for (unsigned char c : absolute) h = derive_seed(h, c);
  std::string name = fs::path(split_dir).filename().string();
  return str_printf("%s/%s-%016llx.index", cache_dir.c_str(), name.c_str(),
                    static_cast<unsigned long long>(h));
}

/// '%', spaces, DEL and control characters as %XX; every other byte (UTF-8 included) as is.
std::string encode_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    if (c <= ' ' || c == '%' || c == 0x7f) {
      out += str_printf("%%%02X", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Undoes encode_name; false for text encode_name cannot have written.
bool decode_name(std::string_view text, std::string* name) {
  name->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= ' ' || c == 0x7f) return false;
    if (c != '%') {
      *name += static_cast<char>(c);
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *name += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return !name->empty();
}

/// A name a directory listing can give: no '/', no NUL, not "." or "..". A cache file naming
/// anything else (say "../../etc/passwd") is damaged or forged, and is not used.
bool is_entry_name(const std::string& name) {
  return name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

/// Splits off the next line of `text` at `*at` (without its newline); false at the end.
bool next_line(std::string_view text, size_t* at, std::string_view* line) {
  if (*at >= text.size()) return false;
  const size_t end = text.find('\n', *at);
  if (end == std::string_view::npos) return false;  // every line ends with a newline
  *line = text.substr(*at, end - *at);
  *at = end + 1;
  return true;
}

/// Splits `line` at single spaces into exactly `n` fields.
bool split_fields(std::string_view line, size_t n, std::vector<std::string_view>* fields) {
  fields->clear();
  size_t start = 0;
  while (fields->size() + 1 < n) {
    const size_t space = line.find(' ', start);
    if (space == std::string_view::npos) return false;
    fields->push_back(line.substr(start, space - start));
    start = space + 1;
  }
  fields->push_back(line.substr(start));
  return fields->back().find(' ') == std::string_view::npos;
}

template <typename T>
bool parse_integer(std::string_view text, T* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && !text.empty();
}

/// Reads a cache file; an empty map when it is missing, for another folder, or damaged.
std::map<std::string, CachedClassListing> read_cache(const std::string& path,
                                                     const std::string& split_dir) {
  std::map<std::string, CachedClassListing> out;
  std::string text;
  try {
    if (!path_exists(path)) return out;
    text = read_file(path);
  } catch (const std::exception&) {
    return out;
  }
  parse_index_cache(text, split_dir, &out);
  return out;
}

void write_cache(const std::string& path, const std::string& split_dir,
                 const std::vector<std::string>& classes,
                 const std::vector<CachedClassListing>& entries,
                 std::map<std::string, CachedClassListing> others) {
  for (size_t i = 0; i < classes.size(); ++i) others[classes[i]] = entries[i];
  ensure_directory(fs::path(path).parent_path().string());
  write_file_replace(path, format_index_cache(split_dir, others));
}

}  // namespace

std::string format_index_cache(const std::string& split_dir,
                               const std::map<std::string, CachedClassListing>& classes) {
  std::string text = str_cat(kHeader, "\nsplit ", encode_name(split_dir), "\n");
  for (const auto& [name, entry] : classes) {
    text +=
        str_cat("class ", encode_name(name), " ", entry.mtime_ns, " ", entry.names.size(), "\n");
    for (const auto& file : entry.names) text += encode_name(file) + "\n";
  }
  return text;
}

bool parse_index_cache(std::string_view text, const std::string& split_dir,
                       std::map<std::string, CachedClassListing>* out) {
  out->clear();
  size_t at = 0;
  std::string_view line;
  std::vector<std::string_view> fields;
  std::string decoded;
  if (!next_line(text, &at, &line) || line != kHeader) return false;
  if (!next_line(text, &at, &line) || !split_fields(line, 2, &fields) || fields[0] != "split" ||
      !decode_name(fields[1], &decoded) || decoded != split_dir)
    return false;
  while (next_line(text, &at, &line)) {
    std::string name;
    CachedClassListing entry;
    uint64_t count = 0;
    if (!split_fields(line, 4, &fields) || fields[0] != "class" || !decode_name(fields[1], &name) ||
        !is_entry_name(name) || !parse_integer(fields[2], &entry.mtime_ns) ||
        !parse_integer(fields[3], &count) || out->count(name) > 0) {
      out->clear();
      return false;
    }
    // The count is only a claim: names are read one line at a time, never reserved for it.
    for (uint64_t i = 0; i < count; ++i) {
      if (!next_line(text, &at, &line) || !decode_name(line, &decoded) || !is_entry_name(decoded)) {
        out->clear();
        return false;
      }
      entry.names.push_back(decoded);
    }
    (*out)[name] = std::move(entry);
  }
  if (at != text.size()) {  // a last line without its newline: cut short while written
    out->clear();
    return false;
  }
  return true;
}

DatasetIndex cached_folder_index(const std::string& split_dir,
                                 const std::vector<std::string>& classes,
                                 const IndexCacheOptions& options, const FolderLister& lister,
                                 IndexCacheReport* report) {
  IndexCacheReport local;
  IndexCacheReport& r = report ? *report : local;
  r = IndexCacheReport{};
  std::vector<std::vector<std::string>> names(classes.size());
  if (options.cache_dir.empty()) {
    r.classes_scanned = static_cast<int>(classes.size());
    parallel_for(static_cast<int64_t>(classes.size()), options.threads,
                 [&](int64_t i) { names[i] = lister.list(classes[i]); });
    return make_dataset_index(split_dir, classes, names);
  }
  const std::string identity = lister.identity.empty() ? split_dir : lister.identity;
  r.cache_path = cache_file_for(options.cache_dir, identity, split_dir);
  std::map<std::string, CachedClassListing> cached;
  if (!options.rescan) cached = read_cache(r.cache_path, identity);

  // Check every class folder's stamp (one stat each, in parallel); list the changed ones.
  std::vector<CachedClassListing> entries(classes.size());
  std::vector<char> reused(classes.size(), 0);
  parallel_for(static_cast<int64_t>(classes.size()), options.threads, [&](int64_t i) {
    const int64_t stamp = lister.stamp(classes[i]);
    auto it = cached.find(classes[i]);
    if (it != cached.end() && stamp >= 0 && it->second.mtime_ns == stamp &&
        !it->second.names.empty()) {
      entries[i] = it->second;
      reused[i] = 1;
      return;
    }
    entries[i].mtime_ns = stamp;
    entries[i].names = lister.list(classes[i]);
  });
  for (size_t i = 0; i < classes.size(); ++i) {
    r.classes_reused += reused[i];
    names[i] = entries[i].names;
  }
  r.classes_scanned = static_cast<int>(classes.size()) - r.classes_reused;
  if (r.classes_scanned > 0 && options.write) {
    for (const auto& name : classes) cached.erase(name);
    try {
      write_cache(r.cache_path, identity, classes, entries, cached);
    } catch (const std::exception& e) {
      log_warn(str_cat("could not write the index cache ", r.cache_path, ": ", e.what(),
                       ". The next run lists the folders again."));
    }
  }
  return make_dataset_index(split_dir, classes, names);
}

DatasetIndex scan_image_folder_cached(const std::string& split_dir,
                                      const std::vector<std::string>& classes,
                                      const IndexCacheOptions& options, IndexCacheReport* report) {
  FolderLister lister;
  lister.stamp = [&](const std::string& name) {
    return folder_mtime_ns((fs::path(split_dir) / name).string());
  };
  lister.list = [&](const std::string& name) {
    return list_class_images((fs::path(split_dir) / name).string());
  };
  return cached_folder_index(split_dir, classes, options, lister, report);
}

}  // namespace imagenet
