// Fuzz target: the index cache reader on any text (a damaged or forged cache file). It answers
// true or false, never throws; what it accepts must write back to the same text's meaning.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "imagenet/data/index_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string split = "/data/imagenet/train";
  std::map<std::string, CachedClassListing> classes;
  if (!parse_index_cache(text, split, &classes)) {
    fuzz::require(classes.empty(), "a refused cache left entries behind");
    return 0;
  }
  std::map<std::string, CachedClassListing> again;
  fuzz::require(parse_index_cache(format_index_cache(split, classes), split, &again),
                "format_index_cache wrote a cache that does not parse");
  fuzz::require(again.size() == classes.size(), "the class count changed on a round trip");
  for (const auto& [name, entry] : classes) {
    fuzz::require(again.count(name) == 1, "a class was lost on a round trip");
    fuzz::require(again[name].names == entry.names && again[name].mtime_ns == entry.mtime_ns,
                  "a class changed on a round trip");
    for (const auto& file : entry.names)
      fuzz::require(file.find('/') == std::string::npos, "a file name with a slash");
  }
  return 0;
}
