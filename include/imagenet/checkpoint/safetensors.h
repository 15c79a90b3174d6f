// safetensors files of tensors: written atomically (C order, little-endian, the offsets tiling
// the data), read with every check of safetensors_header.h plus the dtypes LibTorch has.
// Python reads them with the safetensors package, or with json and torch.frombuffer.
#pragma once

#include <ATen/ATen.h>

#include <string_view>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace imagenet {

/// Named tensors in a chosen order (a state dict as a file holds it).
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

/// Writes `tensors` (any device, dtype of F64/F32/F16/BF16/I64/I32/I16/I8/U8/BOOL, any memory
/// format: stored contiguous in C order) and `metadata` to `path` atomically.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsContents {
  NamedTensors tensors;  ///< CPU tensors in the order of their offsets
  std::map<std::string, std::string> metadata;
};

/// Reads a safetensors file. Throws UsageError naming the file and what is wrong: missing,
/// truncated, a header that does not match the data, or a dtype LibTorch lacks.
SafetensorsContents load_safetensors(const std::string& path);

/// True when `bytes` (a file's first bytes, at least 9) start like a safetensors file: a
/// header length below the 100 MB limit followed by '{'.
bool looks_like_safetensors(std::string_view bytes);

}  // namespace imagenet
