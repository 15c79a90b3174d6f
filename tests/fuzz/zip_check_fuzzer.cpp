// Fuzz target: the checkpoint integrity checks, which read a checkpoint file before LibTorch
// does, on any bytes: the zip walk, and the pickle checks (the length walk, and the LibTorch
// check that also runs the pickle through pickle_reader) on the input itself and on the entries
// of an archive that passes. They answer with an error text, never throw or read out of bounds;
// the entries of an archive accepted lie inside it.
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "imagenet/checkpoint/pickle_check.h"
#include "imagenet/checkpoint/zip_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // As if every record held `size` bytes.
  const auto any_record = [&](const std::string&) { return static_cast<int64_t>(size); };
  check_pickle_claims(bytes);
  check_libtorch_pickle(bytes, any_record);
  std::vector<ZipEntry> entries;
  if (!check_zip_archive(bytes, &entries).empty()) return 0;
  for (const ZipEntry& e : entries) {
    fuzz::require(e.data_offset <= size && e.size <= size - e.data_offset,
                  "an accepted entry lies outside the archive");
    check_pickle_claims(bytes.substr(e.data_offset, e.size));
    check_libtorch_pickle(bytes.substr(e.data_offset, e.size), any_record);
  }
  return 0;
}
