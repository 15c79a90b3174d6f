// Tests checkpoint/zip_check against an archive torch.save wrote (tests/golden/
// torch_save_small.py printed the entries Python's zipfile reads): a sound archive passes with
// the same entries; every cut and every flipped data byte is caught.
#include "imagenet/checkpoint/zip_check.h"

#include <gtest/gtest.h>

#include <cstring>

#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::string golden() {
  return read_file(testing::source_path("tests/golden/torch_save_small.pt"));
}

TEST(ZipCheck, ReadsTheEntriesPythonsZipfileReads) {
  struct Expected {
    const char* name;
    uint64_t size;
    uint32_t crc;
  };
  const Expected python[] = {{"torch_save_small/data.pkl", 181, 0x34fc4e08},
                             {"torch_save_small/data/0", 40, 0xe6a5e769},
                             {"torch_save_small/version", 2, 0x55679ed1}};
  const std::string bytes = golden();
  ASSERT_TRUE(looks_like_zip(bytes));
  std::vector<ZipEntry> entries;
  ASSERT_EQ(check_zip_archive(bytes, &entries), "");
  ASSERT_EQ(entries.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(entries[i].name, python[i].name);
    EXPECT_EQ(entries[i].size, python[i].size);
    EXPECT_EQ(entries[i].crc32, python[i].crc);
  }
  // The tensor's 10 floats 0..9 lie where the entry says.
  float third = 0;
  std::memcpy(&third, bytes.data() + entries[1].data_offset + 2 * sizeof(float), sizeof(float));
  EXPECT_EQ(third, 2.0f);
}

TEST(ZipCheck, EveryTruncationIsRefused) {
  const std::string bytes = golden();
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_NE(check_zip_archive(std::string_view(bytes).substr(0, n)), "") << n << " bytes";
  EXPECT_NE(check_zip_archive(bytes + "trailing bytes"), "");
}

TEST(ZipCheck, EveryFlippedDataByteIsNamedWithItsEntry) {
  const std::string bytes = golden();
  std::vector<ZipEntry> entries;
  ASSERT_EQ(check_zip_archive(bytes, &entries), "");
  for (const ZipEntry& entry : entries) {
    for (uint64_t i = 0; i < entry.size; ++i) {
      std::string damaged = bytes;
      damaged[entry.data_offset + i] ^= 0x10;
      const std::string error = check_zip_archive(damaged);
      EXPECT_NE(error.find(entry.name + ": CRC-32"), std::string::npos) << i << ": " << error;
    }
  }
}

TEST(ZipCheck, DamagedStructureIsRefusedNeverReadPastTheEnd) {
  const std::string bytes = golden();
  // Every byte outside the entries' data set to 0xff in turn: either still sound (a field the
  // check does not use, such as a time stamp) or refused; never a crash (ASan runs this too).
  std::vector<ZipEntry> entries;
  ASSERT_EQ(check_zip_archive(bytes, &entries), "");
  int refused = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    bool in_data = false;
    for (const ZipEntry& e : entries)
      in_data = in_data || (i >= e.data_offset && i < e.data_offset + e.size);
    if (in_data) continue;
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(0xff);
    refused += check_zip_archive(damaged) != "";
  }
  EXPECT_GT(refused, 100);
  EXPECT_FALSE(looks_like_zip("not a zip"));
  EXPECT_NE(check_zip_archive("PK\x03\x04 but nothing else"), "");
}

}  // namespace
}  // namespace imagenet
