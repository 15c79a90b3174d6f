// Implements checkpoint/safetensors_header.h with nlohmann/json (only here and in nothing that
// LibTorch's headers see).
#include "imagenet/checkpoint/safetensors_header.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

using nlohmann::json;

// The safetensors crate refuses headers above 100 MB; so does this reader.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeSize {
  const char* name;
  size_t bytes;
};
constexpr DtypeSize kDtypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
    {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
    {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8},
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

uint64_t read_le64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return v;
}

// A JSON number that is a non-negative integer, or fails naming `what`.
uint64_t non_negative(const json& v, const std::string& what, const std::string& where) {
  if (!v.is_number_unsigned())
    throw UsageError(str_cat(where, what, " is ", v.dump(), ", not a non-negative integer"));
  return v.get<uint64_t>();
}

SafetensorsEntry parse_entry(const std::string& name, const json& info, uint64_t data_size,
                             const std::string& path) {
  const std::string where = str_cat(path, ": tensor '", name, "': ");
  if (!info.is_object()) throw UsageError(where + "is " + info.dump() + ", not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!info.contains(key)) throw UsageError(str_cat(where, "no \"", key, "\""));
  SafetensorsEntry e;
  e.name = name;
  if (!info["dtype"].is_string()) throw UsageError(where + "dtype is not a string");
  e.dtype = info["dtype"].get<std::string>();
  const size_t element = safetensors_dtype_size(e.dtype);
  if (element == 0)
    throw UsageError(str_cat(where, "unknown dtype '", e.dtype,
                             "' (safetensors defines BOOL, U8, I8, I16, U16, F16, BF16, I32, "
                             "U32, F32, F64, I64, U64, F8_E5M2, F8_E4M3)"));
  const json& shape = info["shape"];
  if (!shape.is_array()) throw UsageError(where + "shape is not a list");
  uint64_t numel = 1;
  bool overflow = false;
  for (const json& d : shape) {
    const uint64_t n = non_negative(d, "a dimension", where);
    if (n > static_cast<uint64_t>(INT64_MAX)) overflow = true;
    e.shape.push_back(static_cast<int64_t>(n));
    if (n != 0 && numel > UINT64_MAX / n) overflow = true;
    numel *= n;
  }
  const json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    throw UsageError(where + "data_offsets is " + offsets.dump() + ", not [begin, end]");
  e.begin = non_negative(offsets[0], "data_offsets[0]", where);
  e.end = non_negative(offsets[1], "data_offsets[1]", where);
  if (e.begin > e.end)
    throw UsageError(
        str_cat(where, "data_offsets [", e.begin, ", ", e.end, "] end before they begin"));
  if (e.end > data_size)
    throw UsageError(str_cat(where, "data_offsets [", e.begin, ", ", e.end,
                             "] run past the data buffer (", data_size,
                             " bytes): the file is truncated or its header is wrong"));
  if (overflow || numel > UINT64_MAX / element || numel * element != e.end - e.begin)
    throw UsageError(
        str_cat(where, "shape ", shape_text(e.shape), " of ", e.dtype, " needs ",
                overflow ? std::string("more than 2^64") : std::to_string(numel * element),
                " bytes, data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin));
  return e;
}

}  // namespace

size_t safetensors_dtype_size(std::string_view dtype) {
  for (const auto& d : kDtypes)
    if (dtype == d.name) return d.bytes;
  return 0;
}

SafetensorsHeader parse_safetensors_header(std::string_view file, const std::string& path) {
  if (file.size() < 8)
    throw UsageError(str_cat(path, ": ", file.size(),
                             " bytes, too short for a safetensors file (it starts with an 8-byte "
                             "header length)"));
  const uint64_t n = read_le64(file);
  if (n > file.size() - 8)
    throw UsageError(str_cat(path, ": the header length ", n, " runs past the end of the file (",
                             file.size(), " bytes): truncated, or not a safetensors file"));
  if (n > kMaxHeaderBytes)
    throw UsageError(str_cat(path, ": a header of ", n, " bytes (safetensors allows 100 MB)"));
  const std::string_view text = file.substr(8, n);
  if (text.empty() || text[0] != '{')
    throw UsageError(
        str_cat(path, ": the header does not start with '{' (not a safetensors file)"));

  // Duplicate names are an error in safetensors; nlohmann would keep the last one silently.
  std::set<std::string> names;
  std::string duplicate;
  json header;
  try {
    header = json::parse(text, [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth > 4) throw UsageError(str_cat(path, ": the header nests deeper than safetensors"));
      if (depth == 1 && event == json::parse_event_t::key && parsed.is_string() &&
          !names.insert(parsed.get<std::string>()).second && duplicate.empty())
        duplicate = parsed.get<std::string>();
      return true;
    });
  } catch (const json::exception& e) {
    throw UsageError(str_cat(path, ": the header is not valid JSON: ", e.what()));
  }
  if (!header.is_object()) throw UsageError(str_cat(path, ": the header is not a JSON object"));
  if (!duplicate.empty())
    throw UsageError(str_cat(path, ": the header names '", duplicate, "' twice"));

  SafetensorsHeader result;
  result.data_start = 8 + n;
  const uint64_t data_size = file.size() - result.data_start;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object())
        throw UsageError(str_cat(path, ": __metadata__ is not an object of strings"));
      for (const auto& [key, v] : value.items()) {
        if (!v.is_string())
          throw UsageError(
              str_cat(path, ": __metadata__ '", key, "' is ", v.dump(), ", not a string"));
        result.metadata[key] = v.get<std::string>();
      }
      continue;
    }
    result.tensors.push_back(parse_entry(name, value, data_size, path));
  }

  // The offsets must tile [0, data_size) exactly.
  std::stable_sort(result.tensors.begin(), result.tensors.end(),
                   [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                   });
  uint64_t expected = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry& e : result.tensors) {
    if (e.begin < expected)
      throw UsageError(str_cat(path, ": tensors '", previous->name, "' [", previous->begin, ", ",
                               previous->end, ") and '", e.name, "' [", e.begin, ", ", e.end,
                               ") overlap"));
    if (e.begin > expected)
      throw UsageError(str_cat(path, ": bytes [", expected, ", ", e.begin,
                               ") of the data belong to no tensor (a gap before '", e.name, "')"));
    expected = e.end;
    previous = &e;
  }
  if (expected != data_size)
    throw UsageError(str_cat(path, ": ", data_size - expected,
                             " bytes after the last tensor belong to no tensor"));
  return result;
}

std::string safetensors_header_bytes(const std::vector<SafetensorsEntry>& tensors,
                                     const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  for (const SafetensorsEntry& e : tensors) {
    IMAGENET_CHECK(safetensors_dtype_size(e.dtype) != 0, "unknown dtype ", e.dtype);
    IMAGENET_CHECK(!header.contains(e.name), "tensor name ", e.name, " twice");
    header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t(text.size()) >> (8 * i)) & 0xFF);
  return out + text;
}

}  // namespace imagenet
