// Affine warps and rotations of packed 8-bit RGB images with Pillow's arithmetic
// (libImaging/Geometry.c: ImagingTransformAffine and its nearest-neighbour fast paths in 16.16
// fixed point, the bilinear and bicubic point filters; Image.rotate's matrix and its transpose
// fast paths), so the pixels equal those torchvision's and timm's augmentations get from PIL
// (tests/golden/augment_ops.py). Images are [height, width, 3] uint8, rows packed.
#pragma once

#include <array>
#include <cstdint>

#include "imagenet/image/interpolation.h"

namespace imagenet {

/// Three channel values, R, G, B.
using Rgb = std::array<uint8_t, 3>;

/// Pillow's Image.transform(size, AFFINE, matrix, resample, fillcolor=fill) with the output the
/// input's size: output pixel (x, y) samples the input at (a x' + b y' + c, d x' + e y' + f),
/// x' = x + 0.5, y' = y + 0.5, matrix = (a, b, c, d, e, f); samples outside the input are `fill`.
/// `src` and `dst` must not overlap.
void affine_transform(const uint8_t* src, uint8_t* dst, int width, int height,
                      const std::array<double, 6>& matrix, Interpolation interpolation,
                      const Rgb& fill);

/// Pillow's Image.rotate(degrees, resample, expand=False, fillcolor=fill): counter-clockwise
/// about the image centre; multiples of 180 degrees (and of 90 on square images) are exact
/// transposes, as in Pillow. `src` and `dst` must not overlap.
void rotate_image(const uint8_t* src, uint8_t* dst, int width, int height, double degrees,
                  Interpolation interpolation, const Rgb& fill);

/// The inverse affine matrix torchvision.transforms.functional.affine hands Pillow for a PIL
/// image (_get_inverse_affine_matrix): angle and shear in degrees, centre in pixels.
std::array<double, 6> torchvision_inverse_affine(const std::array<double, 2>& center, double angle,
                                                 const std::array<double, 2>& translate,
                                                 double scale, const std::array<double, 2>& shear);

}  // namespace imagenet
