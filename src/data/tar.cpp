// Implements data/tar.h with pread and a read-ahead buffer.
#include "imagenet/data/tar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

constexpr size_t kReadAhead = 8 << 20;  // large sequential reads: what network storage likes
// A GNU long name or pax record longer than this is not a name: refused before allocating it.
constexpr uint64_t kMaxNameRecordBytes = 1 << 20;

void put_octal(char* field, size_t width, uint64_t value) {
  // width - 1 digits and a NUL, as GNU tar writes them.
  std::string digits =
      str_printf("%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
  std::memcpy(field, digits.data(), std::min(digits.size(), width - 1));
}

// `what` and `header_at` name the field and the header's offset in messages.
uint64_t parse_octal(const uint8_t* field, size_t width, const char* what, uint64_t header_at) {
  uint64_t value = 0;
  for (size_t i = 0; i < width && field[i] != 0; ++i) {
    if (field[i] == ' ') continue;
    if (field[i] < '0' || field[i] > '7')
      throw DecodeError(str_cat("no tar header at byte ", header_at, " (its ", what,
                                " field is not octal: a damaged shard, or the size of the "
                                "member before lies)"));
    value = value * 8 + (field[i] - '0');
  }
  return value;
}

std::string field_text(const uint8_t* field, size_t width) {
  size_t n = 0;
  while (n < width && field[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(field), n);
}

}  // namespace

std::string tar_header(const std::string& name, uint64_t size) {
  std::string header(512, '\0');
  std::string prefix, base = name;
  if (name.size() > 100) {
    const size_t slash = name.rfind('/', 155);
    if (slash == std::string::npos || name.size() - slash - 1 > 100)
      throw UsageError(str_cat("tar member name too long for ustar: ", name));
    prefix = name.substr(0, slash);
    base = name.substr(slash + 1);
  }
  std::memcpy(&header[0], base.data(), base.size());
  put_octal(&header[100], 8, 0644);
  put_octal(&header[108], 8, 0);
  put_octal(&header[116], 8, 0);
  put_octal(&header[124], 12, size);
  put_octal(&header[136], 12, 0);
  header[156] = '0';
  std::memcpy(&header[257],
              "ustar\0"
              "00",
              8);
  std::memcpy(&header[345], prefix.data(), prefix.size());
  std::memset(&header[148], ' ', 8);
  unsigned checksum = 0;
  for (unsigned char c : header) checksum += c;
  std::string text = str_printf("%06o", checksum);
  std::memcpy(&header[148], text.data(), 6);
  header[154] = '\0';
  header[155] = ' ';
  return header;
}

std::string tar_end() {
  return std::string(1024, '\0');
}

void split_sample_name(const std::string& name, std::string* key, std::string* extension) {
  const size_t slash = name.rfind('/');
  const size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  if (dot == std::string::npos) {
    *key = name;
    extension->clear();
    return;
  }
  *key = name.substr(0, dot);
  *extension = str_to_lower(name.substr(dot + 1));
}

TarReader::TarReader(std::string path, ReadPolicy policy)
    : path_(std::move(path)), policy_(policy) {
  double backoff = policy_.first_backoff_seconds;
  for (int attempt = 0;; ++attempt) {
    if (policy_.injected_latency_seconds > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(policy_.injected_latency_seconds));
    // O_NONBLOCK: a FIFO in place of a shard must not block the open (it is refused below).
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ >= 0) break;
    const int error = errno;
    if (!is_transient_read_error(error) || attempt >= policy_.retries)
      throw DecodeError(str_cat("cannot open shard: ", std::strerror(error)));
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
    backoff *= 2;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw DecodeError("cannot open shard: not a regular file");
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  file_size_ = static_cast<uint64_t>(st.st_size);
}

TarReader::TarReader(ByteStream stream, std::string path, uint64_t size)
    : path_(std::move(path)), stream_(std::move(stream)), file_size_(size) {}

TarReader::~TarReader() {
  if (fd_ >= 0) ::close(fd_);
}

void TarReader::read_exactly(uint8_t* dst, size_t n) {
  while (n > 0) {
    if (used_ == buffer_.size()) {
      // Refill with one large read at the current offset, retrying transient errors.
      offset_ += buffer_.size();
      // No more than the file holds: a small shard does not cost an 8 MB buffer.
      buffer_.resize(file_size_ > offset_ ? std::min<uint64_t>(kReadAhead, file_size_ - offset_)
                                          : 1);
      used_ = 0;
      if (stream_) {  // it retries inside
        size_t got = 0;
        try {
          for (size_t n = 1; n > 0 && got < buffer_.size(); got += n)
            n = stream_(buffer_.data() + got, buffer_.size() - got);
        } catch (const std::exception& e) {
          throw DecodeError(str_cat("shard read failed at byte ", offset_ + got, ": ", e.what()));
        }
        buffer_.resize(got);
      }
      double backoff = policy_.first_backoff_seconds;
      for (int attempt = 0; !stream_; ++attempt) {
        ssize_t got = ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
        if (got >= 0) {
          buffer_.resize(static_cast<size_t>(got));
          break;
        }
        const int error = errno;
        if (error == EINTR) continue;
        if (!is_transient_read_error(error) || attempt >= policy_.retries)
          throw DecodeError(
              str_cat("shard read failed at byte ", offset_, ": ", std::strerror(error)));
        std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
        backoff *= 2;
      }
      if (buffer_.empty()) throw DecodeError(str_cat("shard truncated at byte ", offset_));
    }
    const size_t take = std::min(n, buffer_.size() - used_);
    if (dst != nullptr) {
      std::memcpy(dst, buffer_.data() + used_, take);
      dst += take;
    }
    used_ += take;
    n -= take;
  }
}

void TarReader::skip(uint64_t n) {
  read_exactly(nullptr, static_cast<size_t>(n));
}

void TarReader::check_member_size(uint64_t size, uint64_t header_at) const {
  // A header's size field is only a claim: check it against the bytes the file has, before
  // allocating anything for it.
  const uint64_t position = offset_ + used_;
  const uint64_t left = file_size_ > position ? file_size_ - position : 0;
  if (size > left)
    throw DecodeError(str_cat("the tar header at byte ", header_at, " claims ", size,
                              " bytes of data, but the shard has only ", left,
                              " bytes after it (a damaged header or a truncated shard)"));
}

bool TarReader::next(TarMember* member) {
  std::string long_name;
  while (true) {
    uint8_t header[512];
    try {
      read_exactly(header, 512);
    } catch (const DecodeError&) {
      if (used_ == 0 && buffer_.empty()) return false;  // an empty file
      throw;
    }
    if (std::all_of(header, header + 512, [](uint8_t b) { return b == 0; })) return false;
    const uint64_t header_at = offset_ + used_ - 512;
    unsigned checksum = 0;
    for (int i = 0; i < 512; ++i) checksum += (i >= 148 && i < 156) ? ' ' : header[i];
    if (parse_octal(header + 148, 8, "checksum", header_at) != checksum)
      throw DecodeError(str_cat("bad tar header checksum at byte ", header_at,
                                " (a damaged shard, or the size of the member before lies)"));
    const uint64_t size = parse_octal(header + 124, 12, "size", header_at);
    check_member_size(size, header_at);
    const char type = static_cast<char>(header[156]);
    if (type == 'L' || type == 'x') {  // GNU long name / pax record: the next member's name
      if (size > kMaxNameRecordBytes)
        throw DecodeError(str_cat("the tar name record at byte ", header_at, " claims ", size,
                                  " bytes, more than any name"));
      std::string data(size, '\0');
      read_exactly(reinterpret_cast<uint8_t*>(&data[0]), size);
      skip(tar_padding(size));
      if (type == 'L') {
        long_name = data.c_str();
      } else {
        const size_t at = data.find(" path=");
        if (at != std::string::npos) long_name = data.substr(at + 6, data.find('\n', at) - at - 6);
      }
      continue;
    }
    if (type != '0' && type != '\0') {  // folders, links, global pax headers: not samples
      skip(size + tar_padding(size));
      continue;
    }
    if (!long_name.empty()) {
      member->name = long_name;
    } else {
      const std::string prefix = field_text(header + 345, 155);
      member->name =
          prefix.empty() ? field_text(header, 100) : prefix + "/" + field_text(header, 100);
    }
    member->data.resize(size);
    read_exactly(member->data.data(), size);
    skip(tar_padding(size));
    return true;
  }
}

}  // namespace imagenet
