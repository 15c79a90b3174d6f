// Tests checkpoint/safetensors_header: the header written reads back, and every way a hostile or
// damaged file can lie is an error that names the file and the problem.
#include "imagenet/checkpoint/safetensors_header.h"

#include <gtest/gtest.h>

#include <string>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

// A file of `json` as the header (unpadded) and `data_bytes` zero bytes of data.
std::string file_with(const std::string& json, size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t(json.size()) >> (8 * i)) & 0xFF);
  return out + json + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& file) {
  try {
    parse_safetensors_header(file, "bad.safetensors");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SafetensorsHeader, WrittenHeaderReadsBack) {
  std::vector<SafetensorsEntry> entries = {{"conv1.weight", "F32", {2, 3}, 0, 24},
                                           {"bn1.num_batches_tracked", "I64", {}, 24, 32},
                                           {"empty", "F16", {0, 4}, 32, 32},
                                           {"half", "BF16", {3}, 32, 38}};
  const std::string header = safetensors_header_bytes(entries, {{"arch", "resnet18"}});
  EXPECT_EQ(header.size() % 8, 0u);
  const std::string file = header + std::string(38, 'x');
  SafetensorsHeader read = parse_safetensors_header(file, "ok.safetensors");
  EXPECT_EQ(read.data_start, header.size());
  EXPECT_EQ(read.metadata, (std::map<std::string, std::string>{{"arch", "resnet18"}}));
  ASSERT_EQ(read.tensors.size(), 4u);
  // In the order of their offsets; the empty tensor sorts before the one at the same offset.
  EXPECT_EQ(read.tensors[0].name, "conv1.weight");
  EXPECT_EQ(read.tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(read.tensors[1].name, "bn1.num_batches_tracked");
  EXPECT_TRUE(read.tensors[1].shape.empty());
  EXPECT_EQ(read.tensors[2].name, "empty");
  EXPECT_EQ(read.tensors[3].name, "half");
  EXPECT_EQ(read.tensors[3].dtype, "BF16");
  EXPECT_EQ(read.tensors[3].begin, 32u);
  EXPECT_EQ(read.tensors[3].end, 38u);
}

TEST(SafetensorsHeader, RefusesEveryLie) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(error_of(file_with(ok, 8)), "no error");
  struct Case {
    std::string file;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"1234", "bad.safetensors: 4 bytes, too short for a safetensors file"},
      {file_with(ok, 8).substr(0, 30),
       "the header length 54 runs past the end of the file (30 bytes)"},
      {file_with("[1, 2]", 0), "the header does not start with '{'"},
      {file_with("{\"a\": ", 0), "the header is not valid JSON"},
      {file_with(ok + "x", 8), "the header is not valid JSON"},
      {file_with(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
           16),
       "the header names 'a' twice"},
      {file_with(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': unknown dtype 'F33'"},
      {file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
       "tensor 'a': shape [3] of F32 needs 12 bytes, data_offsets [0, 8] hold 8"},
      {file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
       "tensor 'a': data_offsets [0, 8] run past the data buffer (4 bytes)"},
      {file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
       "end before they begin"},
      {file_with(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
       "a dimension is -2, not a non-negative integer"},
      {file_with(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                 8),
       "needs more than 2^64 bytes"},
      {file_with(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "tensor 'a': no \"data_offsets\""},
      {file_with(R"({"a":[1]})", 8), "tensor 'a': is [1], not an object"},
      {file_with(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
           12),
       "tensors 'a' [0, 8) and 'b' [4, 12) overlap"},
      {file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
       "bytes [0, 4) of the data belong to no tensor (a gap before 'a')"},
      {file_with(ok, 9), "1 bytes after the last tensor belong to no tensor"},
      {file_with(R"({"__metadata__":{"k":1}})", 0), "__metadata__ 'k' is 1, not a string"},
      {file_with(R"({"a":{"dtype":"F32","shape":[[[[[1]]]]],"data_offsets":[0,4]}})", 4),
       "nests deeper than safetensors"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(c.file);
    EXPECT_NE(message.find(c.message), std::string::npos)
        << message << "\n  expected: " << c.message;
    EXPECT_EQ(message.rfind("bad.safetensors: ", 0), 0u) << message;
  }
}

TEST(SafetensorsHeader, EveryCutOfAValidFileIsRefused) {
  std::vector<SafetensorsEntry> entries = {{"w", "F32", {4}, 0, 16}, {"b", "I64", {1}, 16, 24}};
  const std::string file = safetensors_header_bytes(entries, {}) + std::string(24, '\1');
  EXPECT_NO_THROW(parse_safetensors_header(file, "f"));
  for (size_t cut = 0; cut < file.size(); ++cut)
    EXPECT_THROW(parse_safetensors_header(file.substr(0, cut), "f"), UsageError) << cut;
}

TEST(SafetensorsHeader, DtypeSizes) {
  EXPECT_EQ(safetensors_dtype_size("F32"), 4u);
  EXPECT_EQ(safetensors_dtype_size("BF16"), 2u);
  EXPECT_EQ(safetensors_dtype_size("I64"), 8u);
  EXPECT_EQ(safetensors_dtype_size("BOOL"), 1u);
  EXPECT_EQ(safetensors_dtype_size("f32"), 0u);
}

}  // namespace
}  // namespace imagenet
