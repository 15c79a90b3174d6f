// Digests S3 uses: the SHA-256 a signed request carries for its body (x-amz-content-sha256),
// the MD5 a PUT sends for the store to check (Content-MD5) and that simple ETags are.
#pragma once

#include <string>
#include <string_view>

namespace imagenet {

/// Lower-case hex SHA-256 of `data` (64 digits).
std::string sha256_hex(std::string_view data);

/// Lower-case hex MD5 of `data` (32 digits), as S3 writes simple ETags.
std::string md5_hex(std::string_view data);

/// Base64 of the 16 raw MD5 bytes of `data`: the value of a Content-MD5 header.
std::string md5_base64(std::string_view data);

}  // namespace imagenet
