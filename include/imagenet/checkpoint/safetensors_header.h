// The header of a safetensors file (huggingface/safetensors): an 8-byte little-endian length N,
// N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}, then the data buffer, every byte of which belongs to exactly
// one tensor (C order, little-endian). Reading checks everything a hostile or damaged file can
// get wrong; torch-free, so it is tested and fuzzed on its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace imagenet {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  ///< "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;  ///< byte offsets into the data buffer, [begin, end)
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;  ///< in the order of their offsets
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  ///< offset of the data buffer in the file: 8 + N
};

/// Bytes per element of a safetensors dtype name; 0 for a name the format does not define.
size_t safetensors_dtype_size(std::string_view dtype);

/// Parses and checks the header of the safetensors file `file` (its whole content): the length
/// within the file, JSON that is an object without duplicate names, known dtypes, shapes whose
/// bytes match their offsets, and offsets that tile the data buffer with no gap, overlap or
/// trailing byte. Throws UsageError "<path>: <what is wrong>" (exit code 2).
SafetensorsHeader parse_safetensors_header(std::string_view file, const std::string& path);

/// The 8-byte length and JSON header for `tensors` (in this order; offsets as given) and
/// `metadata`, padded with spaces so that the data starts at a multiple of 8 bytes.
std::string safetensors_header_bytes(const std::vector<SafetensorsEntry>& tensors,
                                     const std::map<std::string, std::string>& metadata);

}  // namespace imagenet
