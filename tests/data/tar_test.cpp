// Tests data/tar on shards that lie: a header whose size runs past the end of the file (refused
// before anything is allocated), one whose size is short of its data, an endless name record,
// and a FIFO in place of a shard. Each is a DecodeError, which the loader turns into bad samples.
#include "imagenet/data/tar.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;

/// A ustar header like tar_header's, with its type byte replaced (the checksum redone).
std::string header_of_type(const std::string& name, uint64_t size, char type) {
  std::string header = tar_header(name, size);
  header[156] = type;
  std::memset(&header[148], ' ', 8);
  unsigned checksum = 0;
  for (unsigned char c : header) checksum += c;
  std::snprintf(&header[148], 8, "%06o", checksum);
  return header;
}

std::string error_of(const std::string& path) {
  try {
    TarReader reader(path, {});
    TarMember member;
    while (reader.next(&member)) {
    }
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "";
}

TEST(Tar, AHeaderClaimingMoreBytesThanTheShardHasIsRefusedBeforeAllocating) {
  TempDir dir;
  // 8 GB claimed by a 2 kB file: reading it would first allocate the 8 GB.
  const std::string tar =
      tar_header("a/b.jpg", 8'000'000'000ull) + std::string(512, 'x') + tar_end();
  write_file_replace(dir.file("liar.tar"), tar);
  const std::string error = error_of(dir.file("liar.tar"));
  EXPECT_NE(error.find("the tar header at byte 0 claims 8000000000 bytes of data, but the shard "
                       "has only 1536 bytes after it"),
            std::string::npos)
      << error;
}

TEST(Tar, AHeaderClaimingFewerBytesIsCaughtAtTheNextHeader) {
  TempDir dir;
  // The next header is looked for after 10 bytes and their padding: in the middle of the data.
  const std::string tar = tar_header("a/b.jpg", 10) + std::string(1024, 'x') +
                          tar_header("a/c.jpg", 3) + "abc" + std::string(509, '\0') + tar_end();
  write_file_replace(dir.file("short.tar"), tar);
  TarReader reader(dir.file("short.tar"), {});
  TarMember member;
  ASSERT_TRUE(reader.next(&member));
  EXPECT_EQ(member.data.size(), 10u);
  try {
    reader.next(&member);
    ADD_FAILURE() << "read past a lying size";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("no tar header at byte 1024 (its checksum field is not "
                                         "octal: a damaged shard, or the size of the member "
                                         "before lies)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Tar, NameRecordsLongerThanAnyNameAreRefused) {
  TempDir dir;
  const uint64_t huge = 3u << 20;  // a 3 MB "file name"
  write_file_replace(dir.file("name.tar"), header_of_type("././@LongLink", huge, 'L') +
                                               std::string(huge, 'n') + tar_end());
  EXPECT_NE(error_of(dir.file("name.tar")).find("claims 3145728 bytes, more than any name"),
            std::string::npos);
  // A short GNU long name still works.
  const std::string name = std::string(150, 'q') + ".jpg";
  write_file_replace(dir.file("ok.tar"), header_of_type("././@LongLink", name.size() + 1, 'L') +
                                             name + std::string(512 - name.size(), '\0') +
                                             tar_header("short", 1) + "z" + std::string(511, '\0') +
                                             tar_end());
  TarReader reader(dir.file("ok.tar"), {});
  TarMember member;
  ASSERT_TRUE(reader.next(&member));
  EXPECT_EQ(member.name, name);
}

TEST(Tar, AFifoInPlaceOfAShardIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo.tar").c_str(), 0644), 0);
  EXPECT_NE(error_of(dir.file("fifo.tar")).find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace imagenet
