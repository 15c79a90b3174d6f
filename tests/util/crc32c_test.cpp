// Tests util/crc32c against RFC 3720 (iSCSI) appendix B.4, the usual check value, and Python's
// crc32c module (Debian's python3-crc32c, an independent implementation) on odd lengths.
#include "imagenet/util/crc32c.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "test_support.h"

namespace imagenet {
namespace {

std::string bytes_of(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(Crc32c, MatchesRfc3720Vectors) {
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string up, down;
  for (int i = 0; i < 32; ++i) {
    up.push_back(static_cast<char>(i));
    down.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c(up), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down), 0x113FDB5Cu);
  // An iSCSI read command PDU (48 bytes).
  std::string pdu =
      bytes_of({0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(crc32c(pdu), 0xD9963A56u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, ContinuesAcrossPieces) {
  const std::string text = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t cut = 0; cut <= text.size(); ++cut)
    EXPECT_EQ(crc32c(text.substr(cut), crc32c(text.substr(0, cut))), crc32c(text)) << cut;
}

TEST(Crc32c, MasksAsTensorFlow) {
  // TensorFlow's crc32c::Mask: rotate right by 15, add 0xa282ead8 (values from Python).
  EXPECT_EQ(mask_crc32c(0u), 0xa282ead8u);
  EXPECT_EQ(mask_crc32c(crc32c("123456789")), 0xc78ab0e5u);
  // The length field of a 24-byte record: a little-endian uint64.
  EXPECT_EQ(mask_crc32c(crc32c(std::string("\x18\0\0\0\0\0\0\0", 8))), 0x224b7fa3u);
}

TEST(Crc32c, AgreesWithPythonOnEveryLengthUpTo100) {
  testing::TempDir dir;
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
  testing::write_text(dir.file("data.bin"), data);
  auto result = testing::run_command(
      "/usr/bin/python3 -c \"import crc32c, sys; d = open(sys.argv[1], 'rb').read(); "
      "print(' '.join(str(crc32c.crc32c(d[:n])) for n in range(101)))\" " +
      dir.file("data.bin"));
  if (result.exit_code != 0) GTEST_SKIP() << "python3-crc32c unavailable: " << result.output;
  std::istringstream in(result.output);
  for (size_t n = 0; n <= data.size(); ++n) {
    uint64_t expected = 0;
    ASSERT_TRUE(in >> expected) << result.output;
    EXPECT_EQ(crc32c(std::string_view(data).substr(0, n)), expected) << "length " << n;
  }
}

}  // namespace
}  // namespace imagenet
