// One S3 object read from start to end as a stream: ranged GETs of a chunk each, several in
// flight ahead of the reader, so that reading a tar shard costs the bandwidth rather than a
// round trip per chunk. Each chunk is retried by the client; a chunk whose ETag differs from the
// first one's (the object was replaced while being read) is an error, not a mixed stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "imagenet/s3/s3_client.h"

namespace imagenet {

struct S3StreamOptions {
  int64_t chunk_bytes = 8 << 20;  ///< bytes per ranged GET
  int ahead = 4;                  ///< chunks in flight ahead of the reader
};

class S3ObjectStream {
 public:
  /// Starts reading s3://bucket/key of `size` bytes (from a listing; -1: asks with HEAD).
  /// Throws as throw_s3_failure does when the object cannot be found.
  S3ObjectStream(S3Client& client, std::string bucket, std::string key, int64_t size,
                 S3StreamOptions options = {});
  /// Chunks still in flight finish on their own; nothing waits for them.
  ~S3ObjectStream();
  S3ObjectStream(const S3ObjectStream&) = delete;
  S3ObjectStream& operator=(const S3ObjectStream&) = delete;

  /// Copies the next min(n, left) bytes into dst and returns how many (0 at the end). Throws
  /// RuntimeError naming the object when a chunk fails after its retries, comes back short,
  /// or belongs to another version of the object.
  size_t read(uint8_t* dst, size_t n);

  int64_t size() const { return size_; }
  /// Attempts beyond the first, over the chunks finished so far.
  int retries() const;

 private:
  struct State;
  void request_more();

  S3Client& client_;
  std::string bucket_, key_;
  int64_t size_ = 0;
  S3StreamOptions options_;
  std::shared_ptr<State> state_;
  int64_t next_request_ = 0;  // offset of the next chunk to ask for
  int64_t position_ = 0;      // bytes handed to the reader
};

}  // namespace imagenet
