// Fuzz target: the checkpoint reader past its integrity check, i.e. LibTorch's zip reader and
// unpickler and our field reads, on archives whose CRCs are right (anyone can write those). The
// input is a list of records (1 byte name length, name, 4 bytes little-endian size, data) that
// LibTorch's own writer packs into a checkpoint file; load_checkpoint must then answer with a
// CheckpointData or a UsageError, nothing else. Every tensor it returns is read here, in code
// ASan instruments (LibTorch is not): its storage to the last byte, and its view must lie inside.
#include <caffe2/serialize/inline_container.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/util/error.h"

namespace {

/// The archive the records describe, written by torch::pickle_save's writer.
std::string pack_records(const uint8_t* data, size_t size) {
  std::string archive;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
    archive.append(static_cast<const char*>(bytes), n);
    return n;
  });
  size_t at = 0;
  while (at < size) {
    const size_t name_size = data[at++];
    if (name_size == 0 || at + name_size + 4 > size) break;
    std::string name(reinterpret_cast<const char*>(data + at), name_size);
    at += name_size;
    uint32_t record_size = 0;
    for (int i = 3; i >= 0; --i) record_size = (record_size << 8) | data[at + i];
    at += 4;
    record_size = static_cast<uint32_t>(std::min<size_t>(record_size, size - at));
    // The writer refuses a name twice and writes "version" itself; miniz refuses some names.
    if (name != "version" && !writer.getAllWrittenRecords().count(name)) {
      try {
        writer.writeRecord(name, data + at, record_size);
      } catch (const c10::Error&) {
      }
    }
    at += record_size;
  }
  writer.writeEndOfFile();
  return archive;
}

/// Reads every byte of the tensor's storage and checks that its view lies inside it.
void touch(const at::Tensor& t) {
  if (!t.defined()) return;
  const c10::Storage& storage = t.storage();
  const auto* bytes = static_cast<const volatile uint8_t*>(storage.data());
  uint8_t mix = 0;
  for (size_t i = 0; i < storage.nbytes(); ++i) mix ^= bytes[i];
  (void)mix;
  if (t.numel() == 0) return;
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    imagenet::fuzz::require(t.stride(d) >= 0, "a loaded tensor with a negative stride");
    last += (t.size(d) - 1) * t.stride(d);
  }
  imagenet::fuzz::require(static_cast<size_t>(last + 1) * t.element_size() <= storage.nbytes(),
                          "a loaded tensor reaches past its storage");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  const std::string archive = pack_records(data, size);
  fuzz::MemoryFile file(reinterpret_cast<const uint8_t*>(archive.data()), archive.size());
  try {
    CheckpointData checkpoint = load_checkpoint(file.path());
    for (const auto& [name, tensor] : checkpoint.state_dict)
      fuzz::require(tensor.defined(), "an undefined tensor in a loaded state_dict");
    for (const auto* tensors : {&checkpoint.state_dict, &checkpoint.momentum,
                                &checkpoint.optimizer_state, &checkpoint.state_dict_ema})
      for (const auto& [name, tensor] : *tensors) touch(tensor);
    touch(checkpoint.scaler_scale);
    touch(checkpoint.scaler_growth_tracker);
  } catch (const UsageError&) {
  }
  return 0;
}
