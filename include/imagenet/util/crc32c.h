// CRC-32C (Castagnoli, the iSCSI checksum of RFC 3720) and the masked form TFRecord frames use.
// Debian 12 ships no C/C++ CRC-32C library, so this is a small table-driven implementation,
// tested against RFC 3720's vectors and Python's crc32c module.
#pragma once

#include <cstdint>
#include <string_view>

namespace imagenet {

/// CRC-32C of `data`, continuing from `crc` (the CRC of the bytes before; 0 to start).
/// crc32c("123456789") == 0xE3069283.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

/// TensorFlow's masked CRC, stored in TFRecord frames so that a CRC over data that itself holds
/// CRCs stays well distributed: ((crc >> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32.
uint32_t mask_crc32c(uint32_t crc);

}  // namespace imagenet
