// Image decoding: JPEG through libjpeg-turbo's libjpeg API (one decompressor per thread), PNG
// through stb_image, always to 8-bit RGB. A JPEG is decoded only as far as a crop needs: the
// crop's rows (jpeg_skip_scanlines, and nothing below them) and columns (jpeg_crop_scanline), at
// a reduced DCT scale when the crop is at least twice the output. Grayscale and CMYK JPEGs and
// grey/alpha/16-bit PNGs are converted; truncated or malformed files, and headers claiming more
// pixels than a limit (decompression bombs), raise DecodeError, which the loader counts and
// skips. EXIF orientation is ignored, as PIL (and so torchvision's ImageFolder) ignores it.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "imagenet/data/crop.h"
#include "imagenet/image/interpolation.h"

namespace imagenet {

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Pillow's Image.MAX_IMAGE_PIXELS: the most pixels (width x height) a header may claim before
/// the image is refused as a decompression bomb, checked before anything is allocated. Pillow
/// warns above this and refuses above twice it; a warning per image goes unseen in a loader, so
/// this refuses at once. ImageNet's largest images have well under half of it.
constexpr int64_t kDefaultMaxImagePixels = 89'478'485;

/// A progressive JPEG may hold any number of scans, each costing a pass over the whole image;
/// more than this (libjpeg-turbo's own fuzzers use the same bound) is refused as hostile.
constexpr int kMaxJpegScans = 500;

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

/// The DCT scale (1/denominator) a JPEG crop of `window` is decoded at for an output of
/// out_width x out_height: 8, 4 or 2 when the window is at least that many times the output on
/// both sides, else 1. libjpeg-turbo decodes these scales fast; the resize then starts from at
/// less than twice the output size instead of the full crop.
int dct_scale_denominator(const CropWindow& window, int out_width, int out_height);

/// Not thread-safe: give each thread its own decoder (it keeps its libjpeg state between
/// images, so nothing is allocated per image once buffers have grown).
class ImageDecoder {
 public:
  /// Images whose header claims more than `max_pixels` pixels are refused (DecodeError).
  explicit ImageDecoder(int64_t max_pixels = kDefaultMaxImagePixels);
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  /// Reads the size from the header only. Throws DecodeError, also when the size is over the
  /// pixel limit. A decode() of the same buffer
  /// right after continues from this header instead of parsing it again.
  ImageInfo read_info(const uint8_t* data, size_t size);

  /// Decodes what an output of out_width x out_height cropped from `window` (source pixels)
  /// needs: for a JPEG only the window's rows and columns (widened to whole 8- or 16-pixel
  /// blocks), possibly at a reduced scale; `out` says where the window lies in what was decoded.
  /// A PNG is decoded whole. Throws DecodeError.
  void decode(const uint8_t* data, size_t size, const CropWindow& window, int out_width,
              int out_height, DecodedImage* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Resizes the crop window of `image` (rounded to whole pixels) to out_width x out_height into
/// `dst` (packed RGB rows), mirrored horizontally when `flip`, with Pillow's antialiased
/// bilinear or bicubic filter: the pixels torchvision's RandomResizedCrop gives on a PIL image
/// (bilinear: exactly when shrinking, within one level when enlarging, where OpenCV's bilinear
/// resize is faster; bicubic: Pillow's both ways).
void resize_crop_into(const DecodedImage& image, int out_width, int out_height, bool flip,
                      uint8_t* dst, Interpolation filter = Interpolation::kBilinear);

}  // namespace imagenet
