// Implements image/interpolation.h.
#include "imagenet/image/interpolation.h"

namespace imagenet {

std::string to_string(Interpolation value) {
  switch (value) {
    case Interpolation::kNearest:
      return "nearest";
    case Interpolation::kBilinear:
      return "bilinear";
    case Interpolation::kBicubic:
      return "bicubic";
  }
  return "?";
}

}  // namespace imagenet
