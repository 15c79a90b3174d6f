// Implements logging/tfrecord.h.
#include "imagenet/logging/tfrecord.h"

#include "imagenet/util/crc32c.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

void put_le(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t get_le(std::string_view bytes, size_t at, int n) {
  uint64_t value = 0;
  for (int i = 0; i < n; ++i)
    value |= uint64_t(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return value;
}

}  // namespace

std::string tfrecord_frame(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(&out, data.size(), 8);
  put_le(&out, mask_crc32c(crc32c(out)), 4);
  out.append(data);
  put_le(&out, mask_crc32c(crc32c(data)), 4);
  return out;
}

TfRecords read_tfrecords(std::string_view bytes) {
  TfRecords result;
  size_t at = 0;
  for (size_t index = 0; at < bytes.size(); ++index) {
    const std::string where = str_cat("record ", index, " at byte ", at, ": ");
    if (bytes.size() - at < 12) {
      result.error = where + str_cat("only ", bytes.size() - at, " bytes, a header needs 12");
      break;
    }
    const uint64_t length = get_le(bytes, at, 8);
    const uint32_t length_crc = static_cast<uint32_t>(get_le(bytes, at + 8, 4));
    const uint32_t computed_length_crc = mask_crc32c(crc32c(bytes.substr(at, 8)));
    if (length_crc != computed_length_crc) {
      result.error = where + str_printf("length CRC 0x%08x recorded, 0x%08x computed", length_crc,
                                        computed_length_crc);
      break;
    }
    if (length > bytes.size() - at - 12 || bytes.size() - at - 12 - length < 4) {
      result.error = where + str_cat("length ", length, " runs past the end (",
                                     bytes.size() - at - 12, " bytes left)");
      break;
    }
    const std::string_view data = bytes.substr(at + 12, length);
    const uint32_t data_crc = static_cast<uint32_t>(get_le(bytes, at + 12 + length, 4));
    const uint32_t computed_data_crc = mask_crc32c(crc32c(data));
    if (data_crc != computed_data_crc) {
      result.error = where + str_printf("data CRC 0x%08x recorded, 0x%08x computed", data_crc,
                                        computed_data_crc);
      break;
    }
    result.records.emplace_back(data);
    at += 16 + length;
    result.valid_bytes = at;
  }
  return result;
}

}  // namespace imagenet
