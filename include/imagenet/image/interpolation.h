// The interpolation of a resize or a geometric augmentation, named as torchvision's
// InterpolationMode and Pillow's resampling filters are.
#pragma once

#include <string>

namespace imagenet {

enum class Interpolation { kNearest, kBilinear, kBicubic };

/// "nearest", "bilinear" or "bicubic".
std::string to_string(Interpolation value);

}  // namespace imagenet
