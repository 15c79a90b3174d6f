// Resizing with Pillow's antialiased bilinear or bicubic filter, the ones torchvision's
// RandomResizedCrop and Resize use on PIL images (bilinear by default, bicubic as timm's
// recipes train): the filter widens with the downscaling factor, so shrinking averages every
// source pixel instead of skipping some. Integer arithmetic as in Pillow (22-bit weights, a
// rounded uint8 image between the horizontal and vertical passes), which gives Pillow's pixels
// (tests/golden/pil_resize.py).
#pragma once

#include <cstdint>

#include "imagenet/image/interpolation.h"

namespace imagenet {

/// Resizes the rectangle (x, y, width, height) of a packed RGB image (`stride` bytes per row)
/// to out_width x out_height packed RGB in `dst`, as Pillow's
/// image.crop((x, y, x + width, y + height)).resize((out_width, out_height), filter) does
/// with filter BILINEAR (triangle, support 1) or BICUBIC (cubic convolution a = -0.5, support
/// 2); mirrored left-right when `flip`. Thread-safe (scratch memory is per thread).
void resize_antialiased(const uint8_t* src, int stride, int x, int y, int width, int height,
                        uint8_t* dst, int out_width, int out_height, bool flip,
                        Interpolation filter);

/// resize_antialiased with Pillow's BILINEAR filter.
inline void resize_bilinear_antialiased(const uint8_t* src, int stride, int x, int y, int width,
                                        int height, uint8_t* dst, int out_width, int out_height,
                                        bool flip) {
  resize_antialiased(src, stride, x, y, width, height, dst, out_width, out_height, flip,
                     Interpolation::kBilinear);
}

}  // namespace imagenet
