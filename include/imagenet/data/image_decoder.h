// Image decoding: JPEG through libjpeg-turbo's libjpeg API (one decompressor per thread), PNG
// through stb_image, always to 8-bit RGB. Grayscale and CMYK JPEGs and grey/alpha PNGs are
// converted; truncated or malformed files raise DecodeError, which the loader counts and skips.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "imagenet/data/crop.h"

namespace imagenet {

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ImageFormat { kUnknown, kJpeg, kPng };

/// Recognises JPEG and PNG by their first bytes (never by the file name: ImageNet has a PNG
/// named .JPEG).
ImageFormat detect_image_format(const uint8_t* data, size_t size);

struct ImageInfo {
  int width = 0;
  int height = 0;
  ImageFormat format = ImageFormat::kUnknown;
};

/// 8-bit RGB pixels, rows packed (width * 3 bytes per row), holding at least a requested crop.
struct DecodedImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
  /// The requested crop window in this image's pixel coordinates (it differs from the source
  /// window when the decoder kept only part of the image or decoded at a reduced scale).
  double crop_x = 0, crop_y = 0, crop_width = 0, crop_height = 0;
};

/// Not thread-safe: give each thread its own decoder (it keeps its libjpeg state between
/// images, so nothing is allocated per image once buffers have grown).
class ImageDecoder {
 public:
  ImageDecoder();
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  /// Reads the size from the header only. Throws DecodeError.
  ImageInfo read_info(const uint8_t* data, size_t size);

  /// Decodes what an output of out_width x out_height cropped from `window` needs.
  /// Throws DecodeError.
  void decode(const uint8_t* data, size_t size, const CropWindow& window, int out_width,
              int out_height, DecodedImage* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Resizes the crop window of `image` to out_width x out_height into `dst` (packed RGB rows),
/// mirrored horizontally when `flip`. Area interpolation when shrinking, bilinear otherwise.
void resize_crop_into(const DecodedImage& image, int out_width, int out_height, bool flip,
                      uint8_t* dst);

}  // namespace imagenet
