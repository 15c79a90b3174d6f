// Implements s3/digest.h with OpenSSL's libcrypto (already linked by Debian's libcurl).
#include "imagenet/s3/digest.h"

#include <openssl/evp.h>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

std::string digest(const EVP_MD* type, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  IMAGENET_CHECK(EVP_Digest(data.data(), data.size(), out, &length, type, nullptr) == 1,
                 "EVP_Digest failed");
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string to_hex(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  return to_hex(digest(EVP_sha256(), data));
}

std::string md5_hex(std::string_view data) {
  return to_hex(digest(EVP_md5(), data));
}

std::string md5_base64(std::string_view data) {
  const std::string raw = digest(EVP_md5(), data);
  unsigned char out[32];
  const int length = EVP_EncodeBlock(out, reinterpret_cast<const unsigned char*>(raw.data()),
                                     static_cast<int>(raw.size()));
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(length));
}

}  // namespace imagenet
