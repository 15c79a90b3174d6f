// Integrity of a checkpoint file before LibTorch reads it. torch.save's format is a zip archive
// whose entries carry CRC-32s, but LibTorch builds miniz with its CRC checks off: a flipped bit
// in a tensor loads silently, and a cut-short file fails deep inside the unpickler. This walks
// the archive on its own (no torch) and checks every entry's bounds and CRC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace imagenet {

/// One stored entry of a zip archive.
struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  ///< of its first data byte in the archive
  uint64_t size = 0;         ///< bytes (stored, so compressed and uncompressed sizes agree)
  uint32_t crc32 = 0;        ///< as the central directory records it
};

/// Checks a whole zip archive held in memory as torch.save and torch::pickle_save write it
/// (stored entries, zip64 records allowed): the end record sits at the very end, the central
/// directory and every local header lie inside the file and agree, entries do not overlap, and
/// each entry's CRC-32 matches its data. Returns "" when the archive is sound, else what is
/// wrong, e.g. "archive/data/3: CRC-32 0x1234abcd recorded, 0x9f00e2c1 computed", or "no zip end
/// record in the last 65557 bytes (truncated, or not a zip file)". Never throws on bad input.
std::string check_zip_archive(std::string_view bytes, std::vector<ZipEntry>* entries = nullptr);

/// True when `bytes` starts like a zip archive (a local file header).
bool looks_like_zip(std::string_view bytes);

}  // namespace imagenet
