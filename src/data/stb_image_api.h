// The two stb_image calls the decoder uses, behind a header that does not pull stb into every
// file. Implemented in stb_image_api.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace imagenet::stb {

bool png_info(const uint8_t* data, size_t size, int* width, int* height, int* channels);
/// Decodes a PNG to 8-bit RGB (grey and alpha are converted, 16-bit is reduced).
bool png_decode_rgb(const uint8_t* data, size_t size, int* width, int* height,
                    std::vector<uint8_t>* pixels);
/// Encodes packed RGB (3 channels) or grey (1 channel) pixels as PNG bytes.
std::vector<uint8_t> png_encode(const uint8_t* pixels, int width, int height, int channels);

}  // namespace imagenet::stb
