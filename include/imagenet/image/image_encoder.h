// Image encoding, for the data-preparation commands (data) and for pictures the tool writes
// (logging's plots): JPEG through TurboJPEG, PNG through stb_image_write. Implemented in
// src/image/image_encoder.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

struct JpegEncodeOptions {
  int quality = 95;
  /// 4:2:0 chroma subsampling (what cameras write); false keeps full chroma (4:4:4).
  bool subsample_chroma = true;
};

/// Encodes packed rows of `channels` (1 = grey, 3 = RGB) bytes per pixel. Throws RuntimeError.
std::vector<uint8_t> encode_jpeg(const uint8_t* pixels, int width, int height, int channels,
                                 const JpegEncodeOptions& options = {});

/// Encodes packed rows of 1, 3 or 4 channels as PNG.
std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels);

/// Writes an RGB image as a PNG file atomically. Throws RuntimeError naming the path.
void write_png_file(const std::string& path, const uint8_t* rgb, int width, int height);

}  // namespace imagenet
