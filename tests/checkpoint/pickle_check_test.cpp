// Tests checkpoint/pickle_check: every pickle Python writes (protocols 0-5, tests/golden/
// pickles.py) passes the walk, as does a checkpoint's own data.pkl; a length running past the end
// is named; every cut of a pickle is answered, never read past.
#include "imagenet/checkpoint/pickle_check.h"

#include <gtest/gtest.h>

#include <cstring>

#include "imagenet/checkpoint/zip_check.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::vector<std::string> python_pickles() {
  const std::string bytes = read_file(testing::source_path("tests/golden/pickles.bin"));
  std::vector<std::string> out;
  for (size_t at = 0; at + 4 <= bytes.size();) {
    uint32_t n = 0;
    std::memcpy(&n, bytes.data() + at, 4);
    out.push_back(bytes.substr(at + 4, n));
    at += 4 + n;
  }
  return out;
}

TEST(PickleCheck, EveryPickleOfPythonPasses) {
  const auto pickles = python_pickles();
  ASSERT_EQ(pickles.size(), 6u);  // protocols 0 to 5
  for (size_t i = 0; i < pickles.size(); ++i)
    EXPECT_EQ(check_pickle_claims(pickles[i]), "") << "protocol " << i;
  // A checkpoint's own data.pkl (torch.save's, in the golden archive).
  const std::string archive = read_file(testing::source_path("tests/golden/torch_save_small.pt"));
  std::vector<ZipEntry> entries;
  ASSERT_EQ(check_zip_archive(archive, &entries), "");
  EXPECT_EQ(entries[0].name, "torch_save_small/data.pkl");
  EXPECT_EQ(check_pickle_claims(archive.substr(entries[0].data_offset, entries[0].size)), "");
}

TEST(PickleCheck, ALengthPastTheEndIsNamed) {
  // What the checkpoint fuzzer found: BINUNICODE claiming 1.9 GB in an 800-byte pickle.
  std::string bomb = "\x80\x02X";
  const uint32_t claimed = 1903453033;
  bomb.append(reinterpret_cast<const char*>(&claimed), 4);
  bomb += "short.";
  EXPECT_EQ(check_pickle_claims(bomb), "opcode 'X' at byte 2 claims 1903453033 bytes, 6 remain");
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02T\xff\xff\xff\xff", 7)),
            "opcode 'T' at byte 2 has a negative length");
  EXPECT_EQ(check_pickle_claims(std::string("\x8d\x00\x00\x00\x00\x00\x00\x00\x80", 9)),
            "opcode 0x8d at byte 0 claims 9223372036854775808 bytes, 0 remain");
  EXPECT_EQ(check_pickle_claims("cmodule_without_end"),
            "opcode 'c' at byte 0 has no end of line before the end");
}

TEST(PickleCheck, AMemoIndexOutOfSequenceIsNamed) {
  // The fuzzer's second find: LONG_BINPUT naming entry 174 million makes the unpickler grow its
  // memo table to 2.8 GB.
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02]r\x00\x00\x60\x0a.", 9)),
            "opcode 'r' at byte 3 names memo entry 174063616, the pickle has 0 so far");
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02]q\x00]q\x01h\x00.", 10)), "");
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02]q\x00h\x01.", 7)),
            "opcode 'h' at byte 5 names memo entry 1, the pickle has 1 so far");
  EXPECT_EQ(check_pickle_claims("(lp99999999\n."),
            "opcode 'p' at byte 2 names memo entry 99999999, the pickle has 0 so far");
}

TEST(PickleCheck, EveryCutIsAnsweredWithoutReadingPastIt) {
  // Cut at an opcode boundary the walk finds nothing wrong (the unpickler reports the missing
  // STOP); cut inside an argument it names the opcode. ASan runs this too.
  int named = 0;
  for (const std::string& pickle : python_pickles())
    for (size_t n = 0; n < pickle.size(); ++n)
      named += check_pickle_claims(pickle.substr(0, n)) != "";
  EXPECT_GT(named, 100);
}

}  // namespace
}  // namespace imagenet
