// Tests checkpoint/pickle_reader: one nested value pickled by Python's pickle module in every
// protocol (tests/golden/pickle_values.py) reads back as Python describes it, and malformed or
// hostile pickles are errors, never crashes.
#include "imagenet/checkpoint/pickle_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

using Kind = PickleValue::Kind;
using namespace std::string_literals;  // pickles hold NUL bytes

std::string hex(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += str_printf("%02x", c);
  return out;
}

// The canonical text of tests/golden/pickle_values.py's canon().
std::string dump(const PickleValue& v) {
  auto list = [](const std::vector<PickleRef>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + dump(*items[i]);
    return out;
  };
  auto dict = [](const std::vector<std::pair<PickleRef, PickleRef>>& entries) {
    std::string out;
    for (size_t i = 0; i < entries.size(); ++i)
      out += (i ? "," : "") + dump(*entries[i].first) + ":" + dump(*entries[i].second);
    return out;
  };
  switch (v.kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return v.boolean ? "True" : "False";
    case Kind::kInt:
      return std::to_string(v.integer);
    case Kind::kFloat:
      return str_printf("%.17g", v.number);
    case Kind::kString:
      return "s'" + hex(v.text) + "'";
    case Kind::kBytes:
      return "b'" + hex(v.text) + "'";
    case Kind::kTuple:
      return "(" + list(v.items) + ")";
    case Kind::kList:
      return "[" + list(v.items) + "]";
    case Kind::kDict:
      return "{" + dict(v.entries) + "}";
    case Kind::kObject:
      return "obj:" + v.text + (v.entries.empty() ? "" : "{" + dict(v.entries) + "}");
    default:
      return "?" + v.describe();
  }
}

TEST(PickleReader, ReadsWhatPythonPicklesInEveryProtocol) {
  testing::TempDir dir;
  auto result = testing::run_command("/usr/bin/python3 " +
                                     testing::source_path("tests/golden/pickle_values.py") + " " +
                                     dir.path() + " 2>&1");
  if (result.exit_code != 0) GTEST_SKIP() << "python3 unavailable: " << result.output;
  const std::string expected = str_trim(read_file(dir.file("expected.txt")));
  for (int protocol = 0; protocol <= 5; ++protocol) {
    const std::string file = dir.file(str_cat("p", protocol, ".pkl"));
    PickleRef value = read_pickle(read_file(file), file);
    EXPECT_EQ(dump(*value), expected) << "protocol " << protocol;
    // The same list twice is one value (the memo), from protocol 1 on.
    const PickleValue* shared = value->find("shared");
    ASSERT_NE(shared, nullptr);
    ASSERT_EQ(shared->items.size(), 2u);
    if (protocol > 0) {
      EXPECT_EQ(shared->items[0].get(), shared->items[1].get()) << protocol;
    }
    // A truncated pickle is an error at every cut.
    const std::string bytes = read_file(file);
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97)
      EXPECT_THROW(read_pickle(bytes.substr(0, cut), file), UsageError) << protocol << " " << cut;
  }
}

TEST(PickleReader, MalformedPicklesAreNamedErrors) {
  auto message = [](const std::string& bytes) {
    try {
      read_pickle(bytes, "x.pkl");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(".").find("x.pkl: an opcode needs a value the stack does not have at byte 0"),
            std::string::npos)
      << message(".");
  EXPECT_NE(message("\x80\x02h\x05."s).find("memo entry 5 is read before it is written at byte 2"),
            std::string::npos);
  EXPECT_NE(message("\x80\x02\xff.").find("opcode 0xff"), std::string::npos);
  EXPECT_NE(message("\x80\x02]K\x01K\x02s.").find("SETITEM on a list"), std::string::npos);
  EXPECT_NE(
      message("\x80\x02X\xff\xff\x00\x00"s + "ab.").find("a length of 65535 runs past the end"),
      std::string::npos);
  EXPECT_NE(message(std::string("\x80\x02\x8a\x09", 4) + std::string(9, '\1') + ".")
                .find("an integer of 9 bytes"),
            std::string::npos);
  EXPECT_NE(message("\x80\x02(K\x01t(u.").find("SETITEMS on a tuple"), std::string::npos);
  // A persistent id that is not a torch storage.
  EXPECT_NE(message("\x80\x02K\x01Q.").find("persistent id"), std::string::npos);
}

TEST(PickleReader, DeepNestingNeitherOverflowsNorLeaksTheStack) {
  // [[[[...]]]] one million deep: built and freed without recursion.
  const size_t depth = 1000000;
  std::string bytes = "\x80\x02";
  bytes.append(depth, ']');
  bytes.append(depth - 1, 'a');
  bytes.push_back('.');
  PickleRef value = read_pickle(bytes, "deep.pkl");
  size_t n = 1;
  for (const PickleValue* v = value.get(); !v->items.empty(); v = v->items[0].get()) ++n;
  EXPECT_EQ(n, depth);
  value.reset();  // must not crash
}

TEST(PickleReader, TorchSaveGlobalsBecomeTensorsAndDicts) {
  // What torch.save writes for OrderedDict([("w", tensor of 6 floats viewed as [2, 3])]).
  std::string p = "\x80\x02"s + "ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00w"s;
  p += "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"s;
  p += "X\x01\x00\x00\x00"s + "0X\x03\x00\x00\x00"s +
       "cpuK\x06tQK\x00K\x02K\x03\x86K\x03K\x01\x86\x89"s;
  p += "ccollections\nOrderedDict\n)RtRs}X\x09\x00\x00\x00_metadatah\x01sb."s;
  PickleRef value = read_pickle(p, "sd.pkl");
  ASSERT_EQ(value->kind, Kind::kDict) << value->describe();
  ASSERT_EQ(value->entries.size(), 1u);
  const PickleValue* w = value->find("w");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->kind, Kind::kTensor) << w->describe();
  EXPECT_EQ(w->tensor.storage.type, "FloatStorage");
  EXPECT_EQ(w->tensor.storage.key, "0");
  EXPECT_EQ(w->tensor.storage.numel, 6);
  EXPECT_EQ(w->tensor.sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->tensor.strides, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(w->tensor.offset, 0);
}

TEST(PickleReader, TellsTheLegacyTorchSaveFormat) {
  EXPECT_TRUE(is_legacy_torch_save(
      std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15)));
  EXPECT_FALSE(is_legacy_torch_save("\x80\x02}q\x00."));
}

}  // namespace
}  // namespace imagenet
