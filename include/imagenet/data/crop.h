// Crop windows: RandomResizedCrop's sampling rules (torchvision's, draw for draw) and the
// validation center crop. Pure functions of the image size and an injected Rng.
#pragma once

#include <array>

#include "imagenet/util/rng.h"

namespace imagenet {

/// A rectangle in source-image pixels.
struct CropWindow {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

/// torchvision.transforms.RandomResizedCrop.get_params: up to 10 tries of an area fraction in
/// `scale` and a log-uniform aspect ratio in `ratio`, then the central fallback crop.
CropWindow sample_random_resized_crop(int width, int height, const std::array<double, 2>& scale,
                                      const std::array<double, 2>& ratio, Rng& rng);

/// The source window that Resize(shorter side = out_size / crop_ratio) followed by
/// CenterCrop(out_size) keeps, as torchvision computes both.
CropWindow center_crop_window(int width, int height, int out_size, double crop_ratio);

/// The same with the resize given: Resize(shorter side = resize), then CenterCrop(out_size)
/// (torchvision's --val-resize-size 232 --val-crop-size 224).
CropWindow center_crop_window_resized(int width, int height, int resize, int out_size);

}  // namespace imagenet
