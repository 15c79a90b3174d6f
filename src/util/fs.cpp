// Implements util/fs.h on POSIX calls, so every step of an atomic write can be fsync'ed.
#include "imagenet/util/fs.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

void write_all(int fd, std::string_view content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw RuntimeError(str_cat("cannot write ", path, ": ", errno_text()));
    done += static_cast<size_t>(n);
  }
}

void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) throw RuntimeError(str_cat("cannot open ", path, " to sync it: ", errno_text()));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  // Some file systems (and directories on a few of them) refuse fsync; that is not data loss.
  if (rc != 0 && saved != EINVAL && saved != EROFS)
    throw RuntimeError(str_cat("cannot sync ", path, ": ", std::strerror(saved)));
}

std::string parent_directory(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

std::string temporary_path_for(const std::string& path) {
  return str_cat(path, ".tmp.", ::getpid());
}

std::string write_temporary_file(const std::string& path, std::string_view content) {
  const std::string tmp = temporary_path_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError(str_cat("cannot create ", tmp, ": ", errno_text()));
  try {
    write_all(fd, content, tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    std::string error = errno_text();
    ::unlink(tmp.c_str());
    throw RuntimeError(str_cat("cannot write ", tmp, ": ", error));
  }
  return tmp;
}

int remove_stale_temporary_files(const std::string& dir) {
  int removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at + 5 >= name.size()) continue;
    const std::string pid_text = name.substr(at + 5);
    if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    // Alive (or another user's, EPERM): not ours to remove.
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

void write_file_replace(const std::string& path, std::string_view content) {
  const std::string tmp = write_temporary_file(path, content);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string error = errno_text();
    ::unlink(tmp.c_str());
    throw RuntimeError(str_cat("cannot write ", path, ": ", error));
  }
}

void commit_file_atomic(const std::string& temporary_path, const std::string& final_path) {
  try {
    fsync_path(temporary_path, /*directory=*/false);  // EIO or ENOSPC may only show here
  } catch (...) {
    ::unlink(temporary_path.c_str());  // a full disk must not keep a half-written copy too
    throw;
  }
  if (::rename(temporary_path.c_str(), final_path.c_str()) != 0) {
    std::string error = errno_text();
    ::unlink(temporary_path.c_str());
    throw RuntimeError(str_cat("cannot move ", temporary_path, " to ", final_path, ": ", error));
  }
  fsync_path(parent_directory(final_path), /*directory=*/true);
}

void write_file_atomic(const std::string& path, std::string_view content) {
  commit_file_atomic(write_temporary_file(path, content), path);
}

void append_file_durable(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError(str_cat("cannot open ", path, " for appending: ", errno_text()));
  struct stat st {};
  const bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  try {
    write_all(fd, content, path);
    if (::fdatasync(fd) != 0 && errno != EINVAL && errno != EROFS)
      throw RuntimeError(str_cat("cannot sync ", path, ": ", errno_text()));
  } catch (...) {
    // A full disk may have taken part of the text: cut the file back to what it held, so
    // that it still ends with a whole line (a CSV keeps every earlier row readable).
    if (sized && ::ftruncate(fd, st.st_size) == 0) ::fdatasync(fd);
    ::close(fd);
    throw;
  }
  ::close(fd);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError(str_cat("cannot open ", path, ": ", errno_text()));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw RuntimeError(str_cat("cannot read ", path, ": ", errno_text()));
  return content;
}

void ensure_directory(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw RuntimeError(str_cat("cannot create directory ", path, ": ", ec.message()));
}

void remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // nothing to remove
  auto remove_entry = [](const char* entry, const struct stat*, int, struct FTW*) {
    return ::remove(entry) == 0 ? 0 : -1;
  };
  // Depth first (children before their folder), not following symbolic links.
  if (::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
    throw RuntimeError(str_cat("cannot remove ", path, ": ", errno_text()));
}

bool remove_file(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw RuntimeError(str_cat("cannot remove ", path, ": ", errno_text()));
}

int64_t available_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0 || st.f_frsize == 0 || st.f_blocks == 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

}  // namespace imagenet
