// One augmentation operation with its parameters already sampled, and how torchvision's and
// timm's ops map onto it. apply_augment_op is a pure function of the pixels and the op: every
// random choice (which op, its magnitude, its sign) is made by the samplers of
// data/torchvision_augment.h and data/timm_augment.h from an injected Rng.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imagenet/image/image_geometry.h"
#include "imagenet/image/interpolation.h"

namespace imagenet {

/// The operations of torchvision's AutoAugment / RandAugment / TrivialAugmentWide and of
/// timm's RandAugment (timm's "...Increasing" variants differ only in how a magnitude becomes
/// `value`, so they map to the same kinds).
enum class AugmentOpKind : uint8_t {
  kIdentity,
  kShearX,
  kShearY,
  kTranslateX,
  kTranslateY,
  kRotate,
  kBrightness,
  kColor,
  kContrast,
  kSharpness,
  kPosterize,
  kSolarize,
  kSolarizeAdd,
  kAutoContrast,
  kEqualize,
  kInvert,
};

/// torchvision's spelling: "ShearX", "AutoContrast", ...
std::string to_string(AugmentOpKind kind);

/// An op with the argument of the Pillow call that carries it out:
///   ShearX / ShearY          affine (1, v, 0, 0, 1, 0) / (1, 0, 0, v, 1, 0)
///   TranslateX / TranslateY  affine (1, 0, v, 0, 1, 0) / (1, 0, 0, 0, 1, v), v in pixels
///   Rotate                   Image.rotate(v), degrees counter-clockwise
///   Brightness ... Sharpness ImageEnhance factor v (1 leaves the image)
///   Posterize                bits kept, v in 0..8
///   Solarize                 threshold v; SolarizeAdd: v added below 128
/// Geometric ops sample with `interpolation` and fill what comes from outside the image.
struct AugmentOp {
  AugmentOpKind kind = AugmentOpKind::kIdentity;
  double value = 0.0;
  Interpolation interpolation = Interpolation::kNearest;

  bool operator==(const AugmentOp& other) const {
    return kind == other.kind && value == other.value && interpolation == other.interpolation;
  }
};

/// Applies `op` in place to a [height, width, 3] uint8 image; `scratch` is reused memory.
void apply_augment_op(uint8_t* pixels, int width, int height, const AugmentOp& op, const Rgb& fill,
                      std::vector<uint8_t>& scratch);

/// torchvision 0.14's _apply_op(img, name, magnitude, interpolation, fill) on a PIL image of
/// width x height: the Pillow call it makes (shear through F.affine's inverse matrix, translate
/// by int(magnitude), enhance factors 1 + magnitude, posterize int(magnitude)).
AugmentOp torchvision_op(AugmentOpKind kind, double magnitude, Interpolation interpolation,
                         int width, int height);

/// timm's NAME_TO_OP[name](img, arg) (timm/data/auto_augment.py) for the argument its level
/// function produced: shear factor, translate fraction of the width or height (the "Rel" ops),
/// degrees, enhance factor, bits (8 and more: unchanged), threshold, or the amount added.
AugmentOp timm_op(AugmentOpKind kind, double arg, Interpolation interpolation, int width,
                  int height);

}  // namespace imagenet
