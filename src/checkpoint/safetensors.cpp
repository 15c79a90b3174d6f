// Implements checkpoint/safetensors.h: the header by safetensors_header.h, the tensors' bytes by
// LibTorch.
#include "imagenet/checkpoint/safetensors.h"

#include <cstring>
#include <set>

#include <torch/version.h>

#include "imagenet/checkpoint/safetensors_header.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this writes memory as it is");

struct DtypeName {
  at::ScalarType type;
  const char* name;
};
constexpr DtypeName kNames[] = {
    {at::kDouble, "F64"}, {at::kFloat, "F32"}, {at::kHalf, "F16"},  {at::kBFloat16, "BF16"},
    {at::kLong, "I64"},   {at::kInt, "I32"},   {at::kShort, "I16"}, {at::kChar, "I8"},
    {at::kByte, "U8"},    {at::kBool, "BOOL"},
};

const char* dtype_name(at::ScalarType type) {
  for (const auto& d : kNames)
    if (d.type == type) return d.name;
  return nullptr;
}

bool scalar_type_of(const std::string& name, at::ScalarType* type) {
  for (const auto& d : kNames)
    if (name == d.name) {
      *type = d.type;
      return true;
    }
  return false;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<SafetensorsEntry> entries;
  std::vector<at::Tensor> data;  // CPU, contiguous, in the order of `entries`
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    IMAGENET_CHECK(names.insert(name).second, "tensor name ", name, " given twice");
    IMAGENET_CHECK(name != "__metadata__", "a tensor cannot be named __metadata__");
    const char* dtype = dtype_name(tensor.scalar_type());
    IMAGENET_CHECK(dtype != nullptr, "tensor ", name, ": dtype ", tensor.scalar_type(),
                   " has no safetensors name here");
    // .contiguous() matters: a channels_last tensor's memory is NHWC.
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    SafetensorsEntry e;
    e.name = name;
    e.dtype = dtype;
    e.shape.assign(t.sizes().begin(), t.sizes().end());
    e.begin = offset;
    offset += t.numel() * t.element_size();
    e.end = offset;
    entries.push_back(std::move(e));
    data.push_back(std::move(t));
  }
  std::string out = safetensors_header_bytes(entries, metadata);
  const size_t data_start = out.size();
  out.resize(data_start + offset);
  for (size_t i = 0; i < data.size(); ++i)
    if (entries[i].end > entries[i].begin)
      std::memcpy(&out[data_start + entries[i].begin], data[i].data_ptr(),
                  entries[i].end - entries[i].begin);
  write_file_atomic(path, out);
}

SafetensorsContents load_safetensors(const std::string& path) {
  if (!path_exists(path)) throw UsageError(str_cat("weights file not found: ", path));
  if (is_directory(path)) throw UsageError(str_cat(path, " is a folder, not a safetensors file"));
  const std::string file = read_file(path);
  const SafetensorsHeader header = parse_safetensors_header(file, path);
  SafetensorsContents contents;
  contents.metadata = header.metadata;
  for (const SafetensorsEntry& e : header.tensors) {
    at::ScalarType type;
    if (!scalar_type_of(e.dtype, &type))
      throw UsageError(str_cat(path, ": tensor '", e.name, "' has dtype ", e.dtype,
                               ", which LibTorch ", TORCH_VERSION_MAJOR, ".", TORCH_VERSION_MINOR,
                               " cannot hold (convert it to F32 or I64 in Python)"));
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(type));
    if (e.end > e.begin)
      std::memcpy(t.data_ptr(), file.data() + header.data_start + e.begin, e.end - e.begin);
    contents.tensors.emplace_back(e.name, std::move(t));
  }
  return contents;
}

bool looks_like_safetensors(std::string_view bytes) {
  if (bytes.size() < 9) return false;
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return n > 0 && n <= 100'000'000 && bytes[8] == '{';
}

}  // namespace imagenet
