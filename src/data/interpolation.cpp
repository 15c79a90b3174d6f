// Implements data/interpolation.h.
#include "imagenet/data/interpolation.h"

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
