// Implements image/stb_image_api.h: compiles stb_image and stb_image_write (PNG only) once for
// the whole program.
#include "imagenet/image/stb_image_api.h"

#include <climits>
#include <cstring>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#include <stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>

namespace imagenet::stb {

// stb takes the length as an int: a buffer past INT_MAX would wrap to a negative length.
bool png_info(const uint8_t* data, size_t size, int* width, int* height, int* channels) {
  if (size > INT_MAX) return false;
  return stbi_info_from_memory(data, static_cast<int>(size), width, height, channels) != 0;
}

namespace {

thread_local const char* chunk_error = nullptr;

/// stb_image 2.27 allocates an IDAT chunk's claimed length (up to 2 GB) before it checks that
/// the file holds it: a 325-byte PNG made it allocate and clear gigabytes (found by the fuzzer).
/// So every chunk's length is checked against the bytes left first.
bool png_chunks_fit(const uint8_t* data, size_t size) {
  size_t at = 8;  // after the signature
  while (at + 8 <= size) {
    const uint32_t length = static_cast<uint32_t>(data[at]) << 24 | data[at + 1] << 16 |
                            data[at + 2] << 8 | data[at + 3];
    if (length > size - at - 8) {  // length, type, data; the CRC may be cut off at the end
      chunk_error = "a chunk claims more bytes than the file has";
      return false;
    }
    if (std::memcmp(data + at + 4, "IEND", 4) == 0) break;
    at += 12 + static_cast<size_t>(length);
  }
  return true;
}

}  // namespace

bool png_decode_rgb(const uint8_t* data, size_t size, int* width, int* height,
                    std::vector<uint8_t>* pixels) {
  chunk_error = nullptr;
  if (size > INT_MAX || !png_chunks_fit(data, size)) return false;
  int channels = 0;
  stbi_uc* decoded =
      stbi_load_from_memory(data, static_cast<int>(size), width, height, &channels, 3);
  if (decoded == nullptr) return false;
  pixels->assign(decoded, decoded + static_cast<size_t>(*width) * *height * 3);
  stbi_image_free(decoded);
  return true;
}

const char* png_failure_reason() {
  if (chunk_error != nullptr) return chunk_error;
  const char* reason = stbi_failure_reason();  // thread-local in this stb version
  return reason != nullptr ? reason : "unknown error";
}

std::vector<uint8_t> png_encode(const uint8_t* pixels, int width, int height, int channels) {
  std::vector<uint8_t> out;
  auto append = [](void* context, void* bytes, int size) {
    auto* buffer = static_cast<std::vector<uint8_t>*>(context);
    auto* begin = static_cast<uint8_t*>(bytes);
    buffer->insert(buffer->end(), begin, begin + size);
  };
  stbi_write_png_to_func(append, &out, width, height, channels, pixels, width * channels);
  return out;
}

}  // namespace imagenet::stb
