// Fuzz target: the checkpoint integrity check, which reads a checkpoint file before LibTorch
// does, on any bytes. It answers with an error text, never throws or reads out of bounds; the
// entries of an archive it accepts lie inside it.
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "imagenet/checkpoint/zip_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<ZipEntry> entries;
  if (!check_zip_archive(bytes, &entries).empty()) return 0;
  for (const ZipEntry& e : entries)
    fuzz::require(e.data_offset <= size && e.size <= size - e.data_offset,
                  "an accepted entry lies outside the archive");
  return 0;
}
