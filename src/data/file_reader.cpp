// Implements data/file_reader.h with POSIX open/fstat/read.
#include "imagenet/data/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

// read_once's answer for a file it refuses by kind or size: not an errno, and never retried.
constexpr int kRefused = -1;

/// One attempt. Returns 0, or the errno of the failure with `what` set. O_NONBLOCK: a FIFO
/// (or a device) named like an image would block the open forever; it is refused instead, as
/// anything that is not a regular file is.
int read_once(const std::string& path, std::vector<uint8_t>& buffer, uint64_t max_bytes,
              std::string* what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *what = "cannot open";
    return errno;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    *what = "cannot stat";
    return saved;
  }
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    *what = S_ISREG(st.st_mode) ? str_cat("the file has ", st.st_size,
                                          " bytes, more than any image (limit ", max_bytes, ")")
                                : std::string("not a regular file (a FIFO, device or socket)");
    return kRefused;
  }
  // Back to blocking reads: FUSE mounts pass the flag to their daemon, which may then answer
  // EAGAIN instead of waiting for the object store.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  buffer.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = n == 0 ? EIO : errno;  // a file that shrank while reading: try again
      ::close(fd);
      *what = n == 0 ? "file shrank while reading" : "read failed";
      return saved;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return 0;
}

}  // namespace

bool is_transient_read_error(int error_number) {
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case EACCES:
    case EPERM:
    case ENAMETOOLONG:
    case ELOOP:
      return false;
    default:
      return true;  // EIO, EAGAIN, ETIMEDOUT, ESTALE, ECONNRESET, ENOMEM, EMFILE...
  }
}

int read_file_with_retries(const std::string& path, std::vector<uint8_t>& buffer,
                           const ReadPolicy& policy) {
  double backoff = policy.first_backoff_seconds;
  for (int attempt = 0;; ++attempt) {
    if (policy.injected_latency_seconds > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(policy.injected_latency_seconds));
    std::string what;
    const int error_number = read_once(path, buffer, policy.max_file_bytes, &what);
    if (error_number == 0) return attempt;
    if (error_number == kRefused) throw DecodeError(what);
    if (!is_transient_read_error(error_number) || attempt >= policy.retries) {
      throw DecodeError(str_cat(what, ": ", std::strerror(error_number),
                                attempt > 0 ? str_cat(" (after ", attempt, " retries)") : ""));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
    backoff *= 2;
  }
}

double injected_read_latency_from_env() {
  const char* text = std::getenv("IMAGENET_INJECT_READ_LATENCY_MS");
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  double ms = std::strtod(text, &end);
  if (*end != '\0' || !(ms >= 0))
    throw UsageError(str_cat("IMAGENET_INJECT_READ_LATENCY_MS is '", text,
                             "': expected milliseconds, e.g. 20."));
  return ms / 1000.0;
}

}  // namespace imagenet
