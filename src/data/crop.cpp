// Implements data/crop.h, following torchvision/transforms/transforms.py.
#include "imagenet/data/crop.h"

#include <algorithm>
#include <cmath>

namespace imagenet {
namespace {

// Python's round(): halves go to the even neighbour.
int python_round(double x) {
  return static_cast<int>(std::nearbyint(x));
}

}  // namespace

CropWindow sample_random_resized_crop(int width, int height, const std::array<double, 2>& scale,
                                      const std::array<double, 2>& ratio, Rng& rng) {
  const double area = static_cast<double>(width) * height;
  const double log_lo = std::log(ratio[0]), log_hi = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    double target_area = area * rng.uniform(scale[0], scale[1]);
    double aspect = std::exp(rng.uniform(log_lo, log_hi));
    int w = python_round(std::sqrt(target_area * aspect));
    int h = python_round(std::sqrt(target_area / aspect));
    if (0 < w && w <= width && 0 < h && h <= height) {
      int y = static_cast<int>(rng.uniform_int(0, height - h + 1));
      int x = static_cast<int>(rng.uniform_int(0, width - w + 1));
      return {x, y, w, h};
    }
  }
  // Fallback: the central crop with the aspect ratio clamped into `ratio`.
  double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < ratio[0]) {
    h = python_round(w / ratio[0]);
  } else if (in_ratio > ratio[1]) {
    w = python_round(h * ratio[1]);
  }
  return {(width - w) / 2, (height - h) / 2, w, h};
}

CropWindow center_crop_window(int width, int height, int out_size, double crop_ratio) {
  // timm's scale_size = floor(img_size / crop_pct); torchvision's int(size / ratio).
  return center_crop_window_resized(width, height, static_cast<int>(out_size / crop_ratio),
                                    out_size);
}

CropWindow center_crop_window_resized(int width, int height, int resize, int out_size) {
  // Resize: the shorter side becomes `resize`, the longer int(resize * long / short).
  const bool wide = width >= height;
  const int short_side = wide ? height : width, long_side = wide ? width : height;
  const int new_long = static_cast<int>(static_cast<double>(resize) * long_side / short_side);
  const int new_w = wide ? new_long : resize, new_h = wide ? resize : new_long;
  // CenterCrop: offsets int(round((size - out) / 2)) in the resized image.
  const int crop_w = std::min(out_size, new_w), crop_h = std::min(out_size, new_h);
  const double top = python_round((new_h - crop_h) / 2.0);
  const double left = python_round((new_w - crop_w) / 2.0);
  // Map the kept rectangle back to source pixels.
  const double sx = static_cast<double>(width) / new_w, sy = static_cast<double>(height) / new_h;
  CropWindow window;
  window.x = static_cast<int>(std::lround(left * sx));
  window.y = static_cast<int>(std::lround(top * sy));
  window.width =
      std::max(1, std::min(width - window.x, static_cast<int>(std::lround(crop_w * sx))));
  window.height =
      std::max(1, std::min(height - window.y, static_cast<int>(std::lround(crop_h * sy))));
  return window;
}

}  // namespace imagenet
