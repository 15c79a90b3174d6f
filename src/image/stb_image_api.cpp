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

bool png_decode_rgb(const uint8_t* data, size_t size, int* width, int* height,
                    std::vector<uint8_t>* pixels) {
  if (size > INT_MAX) return false;
  int channels = 0;
  stbi_uc* decoded =
      stbi_load_from_memory(data, static_cast<int>(size), width, height, &channels, 3);
  if (decoded == nullptr) return false;
  pixels->assign(decoded, decoded + static_cast<size_t>(*width) * *height * 3);
  stbi_image_free(decoded);
  return true;
}

const char* png_failure_reason() {
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
