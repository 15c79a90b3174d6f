// Colour and histogram operations on packed 8-bit RGB images with Pillow's arithmetic: the
// ImageEnhance factors (Image.blend of a degenerate image, libImaging/Blend.c, in float), the
// ImageOps lookup tables (posterize, solarize, autocontrast, equalize, invert) and timm's
// solarize_add. These are the pixels torchvision's functional ops and timm's auto_augment ops
// give on a PIL image (tests/golden/augment_ops.py). Images are [height, width, 3] uint8, rows
// packed, changed in place.
#pragma once

#include <cstdint>
#include <vector>

namespace imagenet {

/// ImageEnhance.Brightness(img).enhance(factor): a blend with black.
void adjust_brightness(uint8_t* pixels, int width, int height, double factor);
/// ImageEnhance.Color(img).enhance(factor) (torchvision's adjust_saturation): a blend with
/// the image's luma, L = (19595 R + 38470 G + 7471 B + 2^15) >> 16.
void adjust_color(uint8_t* pixels, int width, int height, double factor);
/// ImageEnhance.Contrast(img).enhance(factor): a blend with the mean luma, rounded.
void adjust_contrast(uint8_t* pixels, int width, int height, double factor);
/// ImageEnhance.Sharpness(img).enhance(factor): a blend with ImageFilter.SMOOTH (3x3 kernel
/// 1 1 1 / 1 5 1 / 1 1 1 over 13; the border rows and columns stay). `scratch` is reused.
void adjust_sharpness(uint8_t* pixels, int width, int height, double factor,
                      std::vector<uint8_t>& scratch);

/// ImageOps.posterize: keeps the top `bits` (0 to 8) bits of every channel.
void posterize(uint8_t* pixels, int width, int height, int bits);
/// ImageOps.solarize: values >= threshold become 255 - value.
void solarize(uint8_t* pixels, int width, int height, double threshold);
/// timm's solarize_add: values < threshold get `add` added, clipped at 255.
void solarize_add(uint8_t* pixels, int width, int height, int add, int threshold = 128);
/// ImageOps.autocontrast (cutoff 0): each channel stretched from its own [min, max] to [0, 255].
void autocontrast(uint8_t* pixels, int width, int height);
/// ImageOps.equalize: each channel mapped through its cumulative histogram.
void equalize(uint8_t* pixels, int width, int height);
/// ImageOps.invert: 255 - value.
void invert(uint8_t* pixels, int width, int height);

}  // namespace imagenet
