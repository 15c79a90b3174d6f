// Fuzz target: the tar shard reader on any bytes (a damaged or hostile shard). DecodeError is the
// only answer allowed; every member it returns must fit in the file it came from.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/tar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  fuzz::MemoryFile file(data, size);
  ReadPolicy policy;
  policy.retries = 0;
  try {
    TarReader reader(file.path(), policy);
    TarMember member;
    std::string key, extension;
    size_t total = 0;
    while (reader.next(&member)) {
      total += member.data.size() + 512;
      fuzz::require(total <= size, "members hold more bytes than the shard");
      split_sample_name(member.name, &key, &extension);
    }
  } catch (const DecodeError&) {
  }
  return 0;
}
