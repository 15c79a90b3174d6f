// Reading whole image files with retries: network file systems (S3 mounts, FSx, NFS) fail
// transiently, so a failed open or read is retried with exponential backoff before the image is
// given up as unreadable. A test hook adds latency to every open, to imitate such mounts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

struct ReadPolicy {
  /// Attempts after the first one for errors that may pass (EIO, timeouts, stale handles...).
  int retries = 3;
  /// Wait before the first retry; doubled before each further one.
  double first_backoff_seconds = 0.05;
  /// Added before every open (tests and benchmarks only: imitates a network file system).
  double injected_latency_seconds = 0;
  /// Whole-file reads refuse larger files (a stray video or disk image named .jpg would
  /// otherwise be read into memory whole); 1 GiB is far above any image under the pixel limit.
  uint64_t max_file_bytes = uint64_t{1} << 30;
};

/// Reads all of `path` into `buffer` (resized to the file's size). Throws DecodeError (a bad
/// sample) saying why when the file cannot be read, after the retries for errors that may be
/// transient; a missing or forbidden file, one that is not a regular file (a FIFO would block
/// the read forever) or one over policy.max_file_bytes is not retried. Returns the retries it took.
int read_file_with_retries(const std::string& path, std::vector<uint8_t>& buffer,
                           const ReadPolicy& policy);

/// True for errno values a retry may cure (EIO, EAGAIN, ETIMEDOUT, ESTALE, EINTR, ...).
bool is_transient_read_error(int error_number);

/// The latency that the environment variable IMAGENET_INJECT_READ_LATENCY_MS asks for, in
/// seconds (0 when unset). Throws UsageError when it is not a number.
double injected_read_latency_from_env();

}  // namespace imagenet
