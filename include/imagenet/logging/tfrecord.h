// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32
//   masked CRC-32C of the data
// (tensorflow/core/lib/io/record_writer.cc). The reader checks both CRCs, for tests and for
// finding where a file that was cut short stops being readable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace imagenet {

/// `data` framed as one TFRecord.
std::string tfrecord_frame(std::string_view data);

struct TfRecords {
  std::vector<std::string> records;  ///< the data of each whole, intact record, in order
  /// Bytes of the input taken by those records; less than the input's size when it ends in a
  /// partial or damaged record.
  uint64_t valid_bytes = 0;
  /// Empty when every byte belongs to an intact record; else what is wrong at valid_bytes, e.g.
  /// "record 3 at byte 120: data CRC 0x1234abcd recorded, 0x5678ef01 computed".
  std::string error;
};

/// Splits `bytes` into TFRecords, checking both CRCs of each; stops at the first bad record.
TfRecords read_tfrecords(std::string_view bytes);

}  // namespace imagenet
