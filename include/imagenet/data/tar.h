// POSIX tar (ustar) members, written and read as a stream: the container of WebDataset shards.
// Writing makes ustar headers; reading also understands GNU long names and pax path records.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "imagenet/data/file_reader.h"

namespace imagenet {

/// The 512-byte ustar header of a regular file `name` of `size` bytes. Throws UsageError when
/// the name does not fit ustar's 100 + 155 characters.
std::string tar_header(const std::string& name, uint64_t size);

/// Bytes after a member's data up to the next 512-byte boundary.
inline uint64_t tar_padding(uint64_t size) {
  return (512 - size % 512) % 512;
}

/// The two zero blocks that end an archive.
std::string tar_end();

/// Size on disk of a member of `size` bytes: header, data and padding.
inline uint64_t tar_member_bytes(uint64_t size) {
  return 512 + size + tar_padding(size);
}

struct TarMember {
  std::string name;
  std::vector<uint8_t> data;
};

/// Reads an archive's regular files in order with large sequential reads (retried like image
/// reads: network file systems fail transiently).
class TarReader {
 public:
  /// Opens `path`; throws DecodeError when it cannot be opened or is not a regular file.
  TarReader(std::string path, ReadPolicy policy);
  /// Reads up to n bytes into dst, returns how many (0: the end); throws when it fails.
  using ByteStream = std::function<size_t(uint8_t* dst, size_t n)>;
  /// Reads the archive of `size` bytes from `stream` (an S3 object); `path` names it in
  /// messages. A failure of the stream becomes a DecodeError.
  TarReader(ByteStream stream, std::string path, uint64_t size);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  /// The next regular file, or false at the end of the archive. Throws DecodeError on a
  /// truncated or malformed archive (a header whose size runs past the end of the file is
  /// refused before anything is allocated for it) or a read that keeps failing.
  bool next(TarMember* member);

  const std::string& path() const { return path_; }

 private:
  void read_exactly(uint8_t* dst, size_t n);
  void skip(uint64_t n);
  void check_member_size(uint64_t size, uint64_t header_at) const;

  std::string path_;
  ReadPolicy policy_;
  int fd_ = -1;
  ByteStream stream_;
  uint64_t file_size_ = 0;       // at open (a stream's: given)
  uint64_t offset_ = 0;          // of buffer_'s first byte in the file
  std::vector<uint8_t> buffer_;  // data read ahead
  size_t used_ = 0;              // bytes of buffer_ consumed
};

/// WebDataset's split of a member name into key and extension: the extension starts at the
/// first dot of the last path component ("a/b.c.jpg" -> "a/b", "c.jpg"); lower-cased.
void split_sample_name(const std::string& name, std::string* key, std::string* extension);

}  // namespace imagenet
