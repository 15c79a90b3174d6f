// Implements data/augment_op.h after torchvision/transforms/autoaugment.py (_apply_op, 0.14)
// and timm/data/auto_augment.py (shear_x ... solarize_add).
#include "imagenet/data/augment_op.h"

#include <cmath>
#include <cstring>

#include "imagenet/image/image_color.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

constexpr double kPi = 3.14159265358979323846;

// math.degrees(math.atan(m)): torchvision hands F.affine a shear angle, not the factor.
double shear_degrees(double magnitude) {
  return std::atan(magnitude) * (180.0 / kPi);
}

void warp(uint8_t* pixels, int width, int height, const std::array<double, 6>& matrix,
          Interpolation interpolation, const Rgb& fill, std::vector<uint8_t>& scratch) {
  scratch.assign(pixels, pixels + static_cast<size_t>(width) * height * 3);
  affine_transform(scratch.data(), pixels, width, height, matrix, interpolation, fill);
}

}  // namespace

std::string to_string(AugmentOpKind kind) {
  switch (kind) {
    case AugmentOpKind::kIdentity:
      return "Identity";
    case AugmentOpKind::kShearX:
      return "ShearX";
    case AugmentOpKind::kShearY:
      return "ShearY";
    case AugmentOpKind::kTranslateX:
      return "TranslateX";
    case AugmentOpKind::kTranslateY:
      return "TranslateY";
    case AugmentOpKind::kRotate:
      return "Rotate";
    case AugmentOpKind::kBrightness:
      return "Brightness";
    case AugmentOpKind::kColor:
      return "Color";
    case AugmentOpKind::kContrast:
      return "Contrast";
    case AugmentOpKind::kSharpness:
      return "Sharpness";
    case AugmentOpKind::kPosterize:
      return "Posterize";
    case AugmentOpKind::kSolarize:
      return "Solarize";
    case AugmentOpKind::kSolarizeAdd:
      return "SolarizeAdd";
    case AugmentOpKind::kAutoContrast:
      return "AutoContrast";
    case AugmentOpKind::kEqualize:
      return "Equalize";
    case AugmentOpKind::kInvert:
      return "Invert";
  }
  return "?";
}

void apply_augment_op(uint8_t* pixels, int width, int height, const AugmentOp& op, const Rgb& fill,
                      std::vector<uint8_t>& scratch) {
  const double v = op.value;
  switch (op.kind) {
    case AugmentOpKind::kIdentity:
      return;
    case AugmentOpKind::kShearX:
      return warp(pixels, width, height, {1, v, 0, 0, 1, 0}, op.interpolation, fill, scratch);
    case AugmentOpKind::kShearY:
      return warp(pixels, width, height, {1, 0, 0, v, 1, 0}, op.interpolation, fill, scratch);
    case AugmentOpKind::kTranslateX:
      return warp(pixels, width, height, {1, 0, v, 0, 1, 0}, op.interpolation, fill, scratch);
    case AugmentOpKind::kTranslateY:
      return warp(pixels, width, height, {1, 0, 0, 0, 1, v}, op.interpolation, fill, scratch);
    case AugmentOpKind::kRotate:
      scratch.assign(pixels, pixels + static_cast<size_t>(width) * height * 3);
      return rotate_image(scratch.data(), pixels, width, height, v, op.interpolation, fill);
    case AugmentOpKind::kBrightness:
      return adjust_brightness(pixels, width, height, v);
    case AugmentOpKind::kColor:
      return adjust_color(pixels, width, height, v);
    case AugmentOpKind::kContrast:
      return adjust_contrast(pixels, width, height, v);
    case AugmentOpKind::kSharpness:
      return adjust_sharpness(pixels, width, height, v, scratch);
    case AugmentOpKind::kPosterize:
      // ImageOps.posterize masks with ~(2^(8 - bits) - 1): no bits or fewer leave black.
      IMAGENET_CHECK(v <= 8, "posterize keeps at most 8 bits, not ", v);
      return posterize(pixels, width, height, v < 0 ? 0 : static_cast<int>(v));
    case AugmentOpKind::kSolarize:
      return solarize(pixels, width, height, v);
    case AugmentOpKind::kSolarizeAdd:
      return solarize_add(pixels, width, height, static_cast<int>(v));
    case AugmentOpKind::kAutoContrast:
      return autocontrast(pixels, width, height);
    case AugmentOpKind::kEqualize:
      return equalize(pixels, width, height);
    case AugmentOpKind::kInvert:
      return invert(pixels, width, height);
  }
}

AugmentOp torchvision_op(AugmentOpKind kind, double magnitude, Interpolation interpolation,
                         int width, int height) {
  AugmentOp op{kind, 0.0, interpolation};
  switch (kind) {
    case AugmentOpKind::kShearX: {
      // F.affine(shear=[degrees(atan(m)), 0], center=[0, 0]): matrix (1, tan(sx), 0, 0, 1, 0).
      const auto m =
          torchvision_inverse_affine({0, 0}, 0.0, {0, 0}, 1.0, {shear_degrees(magnitude), 0.0});
      op.value = m[1];
      break;
    }
    case AugmentOpKind::kShearY: {
      const auto m =
          torchvision_inverse_affine({0, 0}, 0.0, {0, 0}, 1.0, {0.0, shear_degrees(magnitude)});
      op.value = m[3];
      break;
    }
    case AugmentOpKind::kTranslateX:
    case AugmentOpKind::kTranslateY: {
      // translate=[int(m), 0] about the centre: the inverse matrix moves the sample point back.
      const double t = static_cast<double>(static_cast<int64_t>(magnitude));
      const bool x = kind == AugmentOpKind::kTranslateX;
      const auto m = torchvision_inverse_affine({width * 0.5, height * 0.5}, 0.0,
                                                {x ? t : 0.0, x ? 0.0 : t}, 1.0, {0.0, 0.0});
      op.value = x ? m[2] : m[5];
      break;
    }
    case AugmentOpKind::kRotate:
      op.value = magnitude;
      break;
    case AugmentOpKind::kBrightness:
    case AugmentOpKind::kColor:
    case AugmentOpKind::kContrast:
    case AugmentOpKind::kSharpness:
      op.value = 1.0 + magnitude;
      break;
    case AugmentOpKind::kPosterize:
      op.value = static_cast<double>(static_cast<int64_t>(magnitude));
      break;
    case AugmentOpKind::kSolarize:
      op.value = magnitude;
      break;
    case AugmentOpKind::kSolarizeAdd:
      throw RuntimeError("torchvision has no SolarizeAdd");
    case AugmentOpKind::kIdentity:
    case AugmentOpKind::kAutoContrast:
    case AugmentOpKind::kEqualize:
    case AugmentOpKind::kInvert:
      break;
  }
  return op;
}

AugmentOp timm_op(AugmentOpKind kind, double arg, Interpolation interpolation, int width,
                  int height) {
  AugmentOp op{kind, arg, interpolation};
  if (kind == AugmentOpKind::kTranslateX) op.value = arg * width;  // translate_x_rel
  if (kind == AugmentOpKind::kTranslateY) op.value = arg * height;
  // posterize(img, bits): 8 bits or more return the image unchanged.
  if (kind == AugmentOpKind::kPosterize && arg >= 8) op = AugmentOp{};
  return op;
}

}  // namespace imagenet
