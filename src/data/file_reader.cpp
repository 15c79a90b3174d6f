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

/// One attempt. Returns 0, or the errno of the failure with `what` set.
int read_once(const std::string& path, std::vector<uint8_t>& buffer, std::string* what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
    const int error_number = read_once(path, buffer, &what);
    if (error_number == 0) return attempt;
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
