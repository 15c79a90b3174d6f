// The stb_image calls the program uses (PNG header, PNG decode, PNG encode), behind a header that
// does not pull stb into every file. Implemented in src/image/stb_image_api.cpp, which compiles
// stb once. Public, although it is a thin bridge, because two components need it: data's
// crop-aware decoder reads PNGs and image's encoder writes them; a header private to src/image
// could not be included from src/data without crossing components. It includes only the standard
// library, so it costs its includers nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace imagenet::stb {

/// Reads a PNG's size and channel count from its header without decoding; false if not a PNG.
bool png_info(const uint8_t* data, size_t size, int* width, int* height, int* channels);
/// Decodes a PNG to 8-bit RGB (grey, palette and alpha are converted, 16-bit keeps the high
/// byte, as Pillow does for RGB). False for a malformed PNG or one past INT_MAX bytes.
bool png_decode_rgb(const uint8_t* data, size_t size, int* width, int* height,
                    std::vector<uint8_t>* pixels);
/// Why the last png_info or png_decode_rgb of this thread failed (stb's short reason).
const char* png_failure_reason();
/// Encodes packed rows of 1 to 4 channels as PNG bytes; empty on failure (encode_png throws).
std::vector<uint8_t> png_encode(const uint8_t* pixels, int width, int height, int channels);

}  // namespace imagenet::stb
