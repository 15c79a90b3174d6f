// Implements checkpoint/zip_check.h after PKWARE's APPNOTE.TXT (sections 4.3.7 local header,
// 4.3.12 central directory, 4.3.14-16 zip64 end records, 4.5.3 zip64 extra field), with zlib's
// crc32. Every read is bounds-checked: the input is whatever is on disk.
#include "imagenet/checkpoint/zip_check.h"

#include <zlib.h>

#include <algorithm>

#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEnd = 0x06054b50;
constexpr uint32_t kEnd64 = 0x06064b50;
constexpr uint32_t kEnd64Locator = 0x07064b50;
constexpr size_t kEndBytes = 22, kLocatorBytes = 20, kEnd64Bytes = 56;
constexpr size_t kCentralBytes = 46, kLocalBytes = 30;
constexpr size_t kMaxComment = 0xffff;

/// Little-endian reads from a bounds-checked view.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool has(uint64_t offset, uint64_t n) const {
    return offset <= bytes_.size() && n <= bytes_.size() - offset;
  }
  uint64_t read(uint64_t offset, int n) const {  // caller checked has(offset, n)
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes_[offset + i]);
    return v;
  }
  uint16_t u16(uint64_t offset) const { return static_cast<uint16_t>(read(offset, 2)); }
  uint32_t u32(uint64_t offset) const { return static_cast<uint32_t>(read(offset, 4)); }
  uint64_t u64(uint64_t offset) const { return read(offset, 8); }
  std::string_view view(uint64_t offset, uint64_t n) const { return bytes_.substr(offset, n); }
  uint64_t size() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

struct EndRecord {
  uint64_t entries = 0;
  uint64_t directory_size = 0;
  uint64_t directory_offset = 0;
  uint64_t directory_end = 0;  ///< where the central directory must end (the next record)
};

std::string hex32(uint32_t v) {
  return str_printf("0x%08x", v);
}

/// Finds the end record (and the zip64 one it points to). Returns an error or "".
std::string read_end_record(const Reader& in, EndRecord* end) {
  if (in.size() < kEndBytes) return "too short for a zip archive (truncated, or not a zip file)";
  // The end record is the last thing in the file, followed only by its comment.
  const uint64_t lowest =
      in.size() >= kEndBytes + kMaxComment ? in.size() - kEndBytes - kMaxComment : 0;
  uint64_t at = in.size() - kEndBytes;
  for (;; --at) {
    if (in.u32(at) == kEnd && at + kEndBytes + in.u16(at + 20) == in.size()) break;
    if (at == lowest)
      return str_cat("no zip end record in the last ", kEndBytes + kMaxComment,
                     " bytes (truncated, or not a zip file)");
  }
  if (in.u16(at + 4) != 0 || in.u16(at + 6) != 0) return "a multi-disk zip archive";
  end->entries = in.u16(at + 10);
  end->directory_size = in.u32(at + 12);
  end->directory_offset = in.u32(at + 16);
  end->directory_end = at;
  // A zip64 end record (written when any field overflows, and by miniz always in LibTorch's
  // writer) is found through the locator right before the end record.
  if (at >= kLocatorBytes && in.u32(at - kLocatorBytes) == kEnd64Locator) {
    const uint64_t locator = at - kLocatorBytes;
    const uint64_t at64 = in.u64(locator + 8);
    if (!in.has(at64, kEnd64Bytes) || in.u32(at64) != kEnd64)
      return str_cat("the zip64 end record the locator points to (byte ", at64, ") is missing");
    if (at64 + kEnd64Bytes > locator) return "the zip64 end record overlaps its locator";
    end->entries = in.u64(at64 + 32);
    end->directory_size = in.u64(at64 + 40);
    end->directory_offset = in.u64(at64 + 48);
    end->directory_end = at64;
  }
  if (end->directory_offset > end->directory_end ||
      end->directory_size != end->directory_end - end->directory_offset)
    return str_cat("the central directory (", end->directory_size, " bytes at byte ",
                   end->directory_offset, ") does not end where the end record starts (byte ",
                   end->directory_end, "): truncated or damaged");
  return "";
}

/// The zip64 extra field of a central directory entry replaces the fields that are all ones.
std::string read_zip64_extra(const Reader& in, uint64_t extra, uint64_t extra_size, uint64_t* usize,
                             uint64_t* csize, uint64_t* offset) {
  uint64_t at = extra;
  while (at + 4 <= extra + extra_size) {
    const uint16_t id = in.u16(at), size = in.u16(at + 2);
    if (at + 4 + size > extra + extra_size) return "an extra field runs past its entry";
    if (id == 0x0001) {
      uint64_t field = at + 4, field_end = at + 4 + size;
      for (uint64_t* value : {usize, csize, offset}) {
        if (*value != 0xffffffffu) continue;
        if (field + 8 > field_end) return "a zip64 extra field is too short";
        *value = in.u64(field);
        field += 8;
      }
      return "";
    }
    at += 4 + size;
  }
  if (*usize == 0xffffffffu || *csize == 0xffffffffu || *offset == 0xffffffffu)
    return "a zip64 size or offset without its zip64 extra field";
  return "";
}

}  // namespace

bool looks_like_zip(std::string_view bytes) {
  return bytes.size() >= 4 && Reader(bytes).u32(0) == kLocalHeader;
}

std::string check_zip_archive(std::string_view bytes, std::vector<ZipEntry>* entries_out) {
  const Reader in(bytes);
  EndRecord end;
  std::string error = read_end_record(in, &end);
  if (!error.empty()) return error;
  if (end.entries > end.directory_size / kCentralBytes)
    return str_cat("the end record counts ", end.entries, " entries, more than the ",
                   end.directory_size, "-byte central directory can hold");

  std::vector<ZipEntry> entries;
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // [local header, data end) of each entry
  uint64_t at = end.directory_offset;
  for (uint64_t i = 0; i < end.entries; ++i) {
    if (!in.has(at, kCentralBytes) || at + kCentralBytes > end.directory_end ||
        in.u32(at) != kCentralHeader)
      return str_cat("central directory entry ", i, " (byte ", at, ") is damaged");
    const uint16_t flags = in.u16(at + 8), method = in.u16(at + 10);
    const uint32_t crc = in.u32(at + 16);
    uint64_t csize = in.u32(at + 20), usize = in.u32(at + 24), offset = in.u32(at + 42);
    const uint16_t name_size = in.u16(at + 28), extra_size = in.u16(at + 30);
    const uint16_t comment_size = in.u16(at + 32);
    const uint64_t next = at + kCentralBytes + name_size + extra_size + comment_size;
    if (next > end.directory_end)
      return str_cat("central directory entry ", i, " runs past the directory");
    ZipEntry entry;
    entry.name = std::string(in.view(at + kCentralBytes, name_size));
    error =
        read_zip64_extra(in, at + kCentralBytes + name_size, extra_size, &usize, &csize, &offset);
    if (!error.empty()) return str_cat(entry.name, ": ", error);
    if (flags & 0x1) return str_cat(entry.name, ": encrypted");
    if (method != 0 || csize != usize)
      return str_cat(entry.name, ": compressed (method ", method,
                     "); torch.save stores entries uncompressed");

    // The local header must agree with the directory, and the data lie before the directory.
    if (!in.has(offset, kLocalBytes) || offset + kLocalBytes > end.directory_offset ||
        in.u32(offset) != kLocalHeader)
      return str_cat(entry.name, ": no local header at byte ", offset);
    const uint16_t local_name = in.u16(offset + 26), local_extra = in.u16(offset + 28);
    const uint64_t data = offset + kLocalBytes + local_name + local_extra;
    if (data > end.directory_offset || csize > end.directory_offset - data)
      return str_cat(entry.name, ": its ", csize, " bytes at byte ", data,
                     " run past the end of the entries (truncated or damaged)");
    if (in.view(offset + kLocalBytes, local_name) != entry.name)
      return str_cat(entry.name, ": the local header names another entry");
    entry.data_offset = data;
    entry.size = csize;
    entry.crc32 = crc;

    // zlib's crc32 takes an unsigned int length: feed it in pieces.
    uLong computed = crc32(0L, Z_NULL, 0);
    for (uint64_t done = 0; done < csize;) {
      const uint64_t piece = std::min<uint64_t>(csize - done, 1u << 30);
      computed = crc32(computed, reinterpret_cast<const Bytef*>(bytes.data() + data + done),
                       static_cast<uInt>(piece));
      done += piece;
    }
    if (static_cast<uint32_t>(computed) != crc)
      return str_cat(entry.name, ": CRC-32 ", hex32(crc), " recorded, ",
                     hex32(static_cast<uint32_t>(computed)), " computed (the data is damaged)");
    spans.emplace_back(offset, data + csize);
    entries.push_back(std::move(entry));
    at = next;
  }
  if (at != end.directory_end)
    return str_cat("the central directory holds more than the ", end.entries,
                   " entries its end record counts");
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second)
      return str_cat("two entries overlap at byte ", spans[i].first);
  if (entries_out != nullptr) *entries_out = std::move(entries);
  return "";
}

}  // namespace imagenet
