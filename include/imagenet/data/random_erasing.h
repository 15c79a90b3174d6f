// Random erasing as timm does it (timm/data/random_erasing.py, RandomErasing): with probability
// `probability` an image gets 1..max_count boxes, each of area fraction in [min_area, max_area]
// divided by the count and log-uniform aspect ratio in [min_aspect, 1 / min_aspect], up to 10
// tries each, filled with the mean colour (const), one random colour per box (rand) or random
// per-pixel values (pixel). The sampler draws from an injected Rng; erase_boxes only paints.
//
// timm erases the normalized tensor with N(0, 1) values; here the crop is still uint8, so a
// normal value z in channel c becomes round(255 (mean_c + std_c z)) clipped to [0, 255] (the
// same colour after normalization, except the ~3% of draws beyond the uint8 range), and const
// is the rounded mean colour (124, 116, 104), about 0.01 from 0 after normalization.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "imagenet/util/rng.h"

namespace imagenet {

enum class EraseMode { kConst, kRand, kPixel };

struct RandomErasingOptions {
  double probability = 0.0;            ///< reprob
  EraseMode mode = EraseMode::kPixel;  ///< remode (timm's default: pixel)
  int max_count = 1;                   ///< recount: boxes per image drawn from 1..max_count
  double min_area = 0.02;
  double max_area = 1.0 / 3.0;
  double min_aspect = 0.3;
  /// The normalization the loader's images get on the device (ImageNet's), for the fill.
  std::array<double, 3> mean{0.485, 0.456, 0.406};
  std::array<double, 3> std{0.229, 0.224, 0.225};
};

/// A box to erase, in pixels, with the seed of its random fill.
struct EraseBox {
  int x = 0, y = 0, width = 0, height = 0;
  uint64_t fill_seed = 0;
};

/// The boxes of one width x height image (often none). Every box lies inside the image and is
/// strictly narrower and lower than it, as timm requires.
std::vector<EraseBox> sample_erase_boxes(const RandomErasingOptions& options, int width, int height,
                                         Rng& rng);

/// Paints `boxes` into a [height, width, 3] uint8 image.
void erase_boxes(uint8_t* pixels, int width, int height, const std::vector<EraseBox>& boxes,
                 const RandomErasingOptions& options);

}  // namespace imagenet
