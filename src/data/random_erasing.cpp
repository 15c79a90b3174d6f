// Implements data/random_erasing.h after timm/data/random_erasing.py (RandomErasing._erase and
// _get_pixels).
#include "imagenet/data/random_erasing.h"

#include <algorithm>
#include <cmath>

namespace imagenet {
namespace {

// Python's round(): halves go to the even neighbour.
int python_round(double x) {
  return static_cast<int>(std::nearbyint(x));
}

// Standard normal values two at a time (Marsaglia's polar method: no trigonometry).
class NormalPairs {
 public:
  explicit NormalPairs(uint64_t seed) : rng_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * rng_.uniform() - 1.0;
      v = 2.0 * rng_.uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

 private:
  Rng rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

uint8_t to_uint8(double mean, double std, double z) {
  const double v = std::nearbyint(255.0 * (mean + std * z));
  return static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
}

}  // namespace

std::vector<EraseBox> sample_erase_boxes(const RandomErasingOptions& options, int width, int height,
                                         Rng& rng) {
  std::vector<EraseBox> boxes;
  if (options.probability <= 0 || rng.uniform() > options.probability) return boxes;
  const double area = static_cast<double>(width) * height;
  const int count =
      options.max_count <= 1 ? 1 : static_cast<int>(rng.uniform_int(1, options.max_count + 1));
  const double log_lo = std::log(options.min_aspect), log_hi = std::log(1.0 / options.min_aspect);
  for (int i = 0; i < count; ++i) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target_area = rng.uniform(options.min_area, options.max_area) * area / count;
      const double aspect = std::exp(rng.uniform(log_lo, log_hi));
      const int h = python_round(std::sqrt(target_area * aspect));
      const int w = python_round(std::sqrt(target_area / aspect));
      if (w < width && h < height) {
        EraseBox box;
        box.y = static_cast<int>(rng.uniform_int(0, height - h + 1));  // randint(0, H - h)
        box.x = static_cast<int>(rng.uniform_int(0, width - w + 1));
        box.width = w;
        box.height = h;
        box.fill_seed = rng.next_u64();
        boxes.push_back(box);
        break;
      }
    }
  }
  return boxes;
}

void erase_boxes(uint8_t* pixels, int width, int height, const std::vector<EraseBox>& boxes,
                 const RandomErasingOptions& options) {
  (void)height;
  for (const EraseBox& box : boxes) {
    NormalPairs rng(box.fill_seed);
    uint8_t colour[3];
    for (int c = 0; c < 3; ++c) {
      const double z = options.mode == EraseMode::kRand ? rng.next() : 0.0;
      colour[c] = to_uint8(options.mean[c], options.std[c], z);
    }
    for (int y = box.y; y < box.y + box.height; ++y) {
      uint8_t* row = pixels + (static_cast<size_t>(y) * width + box.x) * 3;
      for (int x = 0; x < box.width; ++x) {
        for (int c = 0; c < 3; ++c) {
          row[x * 3 + c] = options.mode == EraseMode::kPixel
                               ? to_uint8(options.mean[c], options.std[c], rng.next())
                               : colour[c];
        }
      }
    }
  }
}

}  // namespace imagenet
