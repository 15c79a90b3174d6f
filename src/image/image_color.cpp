// Implements image/image_color.h after Pillow 9.4: PIL/ImageEnhance.py, PIL/ImageOps.py,
// libImaging/Blend.c (ImagingBlend, alpha a C float), libImaging/Convert.c (rgb2l, the L24
// luma) and libImaging/Filter.c (ImagingFilter3x3, float sums in Pillow's order, +0.5 offset
// for rounding), and timm/data/auto_augment.py (solarize_add).
#include "imagenet/image/image_color.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace imagenet {
namespace {

using Lut = std::array<uint8_t, 256>;

size_t count_values(int width, int height) {
  return static_cast<size_t>(width) * height * 3;
}

inline uint8_t luma(const uint8_t* p) {
  return static_cast<uint8_t>((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
}

// ImagingBlend(degenerate, image, alpha) for one value: degenerate + alpha (image -
// degenerate), in float, truncated; clipped to [0, 255] when alpha is outside [0, 1] (Pillow's
// two loops give the same values inside [0, 1], where no clipping is needed).
// The clamp before truncating gives the same value as Pillow's branches (0 at or below 0, 255
// at or above 255) and lets the loops vectorize.
inline uint8_t blend_value(int degenerate, int value, float alpha) {
  float v = static_cast<float>(degenerate) + alpha * static_cast<float>(value - degenerate);
  v = v < 0.0f ? 0.0f : v;
  v = v > 255.0f ? 255.0f : v;
  return static_cast<uint8_t>(static_cast<int>(v));
}

// Blends every value with `degenerate(i)`, the degenerate image's value i. Pillow returns a
// copy of either image at alpha 0 and 1.
template <typename Degenerate>
void blend_from(uint8_t* pixels, size_t n, double factor, Degenerate degenerate) {
  const float alpha = static_cast<float>(factor);
  if (alpha == 1.0f) return;
  if (alpha == 0.0f) {
    for (size_t i = 0; i < n; ++i) pixels[i] = degenerate(i);
    return;
  }
  for (size_t i = 0; i < n; ++i) pixels[i] = blend_value(degenerate(i), pixels[i], alpha);
}

void apply_lut(uint8_t* pixels, size_t n, const Lut& lut) {
  for (size_t i = 0; i < n; ++i) pixels[i] = lut[pixels[i]];
}

// One table per channel (Image.point with 768 entries).
void apply_luts(uint8_t* pixels, size_t n, const std::array<Lut, 3>& luts) {
  for (size_t i = 0; i < n; i += 3) {
    pixels[i] = luts[0][pixels[i]];
    pixels[i + 1] = luts[1][pixels[i + 1]];
    pixels[i + 2] = luts[2][pixels[i + 2]];
  }
}

std::array<std::array<int64_t, 256>, 3> histograms(const uint8_t* pixels, size_t n) {
  std::array<std::array<int64_t, 256>, 3> h{};
  for (size_t i = 0; i < n; i += 3) {
    ++h[0][pixels[i]];
    ++h[1][pixels[i + 1]];
    ++h[2][pixels[i + 2]];
  }
  return h;
}

// Image.point clips table entries to [0, 255].
uint8_t clip_entry(int64_t v) {
  return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
}

Lut identity_lut() {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i);
  return lut;
}

}  // namespace

void adjust_brightness(uint8_t* pixels, int width, int height, double factor) {
  blend_from(pixels, count_values(width, height), factor, [](size_t) { return uint8_t{0}; });
}

void adjust_color(uint8_t* pixels, int width, int height, double factor) {
  // The degenerate image is the luma, convert("L").convert("RGB"), one row at a time.
  const float alpha = static_cast<float>(factor);
  if (alpha == 1.0f) return;
  thread_local std::vector<uint8_t> gray;
  gray.resize(static_cast<size_t>(width) * 3);
  for (int y = 0; y < height; ++y) {
    uint8_t* row = pixels + static_cast<size_t>(y) * width * 3;
    for (int x = 0; x < width; ++x) {
      const uint8_t g = luma(row + x * 3);
      gray[x * 3] = gray[x * 3 + 1] = gray[x * 3 + 2] = g;
    }
    const uint8_t* d = gray.data();
    blend_from(row, static_cast<size_t>(width) * 3, factor, [d](size_t i) { return d[i]; });
  }
}

void adjust_contrast(uint8_t* pixels, int width, int height, double factor) {
  // mean = int(ImageStat.Stat(image.convert("L")).mean[0] + 0.5): the luma histogram's mean.
  const size_t n = static_cast<size_t>(width) * height;
  std::array<int64_t, 256> hist{};
  for (size_t p = 0; p < n; ++p) ++hist[luma(pixels + p * 3)];
  double sum = 0;
  for (int i = 0; i < 256; ++i) sum += static_cast<double>(i) * static_cast<double>(hist[i]);
  const uint8_t mean = static_cast<uint8_t>(static_cast<int>(sum / static_cast<double>(n) + 0.5));
  blend_from(pixels, n * 3, factor, [mean](size_t) { return mean; });
}

void adjust_sharpness(uint8_t* pixels, int width, int height, double factor,
                      std::vector<uint8_t>& scratch) {
  if (static_cast<float>(factor) == 1.0f) return;
  const size_t n = count_values(width, height);
  // ImageFilter.SMOOTH: ImagingFilter leaves images smaller than the kernel unfiltered.
  scratch.assign(pixels, pixels + n);
  if (width >= 3 && height >= 3) {
    const float k_side = 1.0f / 13.0f, k_center = 5.0f / 13.0f;  // kernel[i] /= divisor, float
    const float kernel[9] = {k_side, k_side, k_side, k_side, k_center,
                             k_side, k_side, k_side, k_side};
    const size_t stride = static_cast<size_t>(width) * 3;
    auto row3 = [](const uint8_t* row, size_t i, const float* k) {
      return static_cast<float>(row[i - 3]) * k[0] + static_cast<float>(row[i]) * k[1] +
             static_cast<float>(row[i + 3]) * k[2];
    };
    for (int y = 1; y < height - 1; ++y) {
      const uint8_t* above = pixels + (y - 1) * stride;
      const uint8_t* here = pixels + y * stride;
      const uint8_t* below = pixels + (y + 1) * stride;
      uint8_t* out = scratch.data() + y * stride;
      for (size_t i = 3; i < stride - 3; ++i) {
        float s = 0.5f;  // the offset plus 0.5 for rounding
        s += row3(below, i, &kernel[0]);
        s += row3(here, i, &kernel[3]);
        s += row3(above, i, &kernel[6]);
        s = s < 0.0f ? 0.0f : s;
        s = s > 255.0f ? 255.0f : s;
        out[i] = static_cast<uint8_t>(s);
      }
    }
  }
  const uint8_t* smooth = scratch.data();
  blend_from(pixels, n, factor, [smooth](size_t i) { return smooth[i]; });
}

void posterize(uint8_t* pixels, int width, int height, int bits) {
  const int mask = ~((1 << (8 - bits)) - 1);
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i & mask);
  apply_lut(pixels, count_values(width, height), lut);
}

void solarize(uint8_t* pixels, int width, int height, double threshold) {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i < threshold ? i : 255 - i);
  apply_lut(pixels, count_values(width, height), lut);
}

void solarize_add(uint8_t* pixels, int width, int height, int add, int threshold) {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = i < threshold ? clip_entry(i + add) : uint8_t(i);
  apply_lut(pixels, count_values(width, height), lut);
}

void autocontrast(uint8_t* pixels, int width, int height) {
  const size_t n = count_values(width, height);
  const auto h = histograms(pixels, n);
  std::array<Lut, 3> luts;
  for (int c = 0; c < 3; ++c) {
    int lo = 0, hi = 255;
    while (lo < 255 && h[c][lo] == 0) ++lo;
    while (hi > 0 && h[c][hi] == 0) --hi;
    if (hi <= lo) {
      luts[c] = identity_lut();
      continue;
    }
    const double scale = 255.0 / (hi - lo);
    const double offset = -lo * scale;
    for (int i = 0; i < 256; ++i)
      luts[c][i] = clip_entry(static_cast<int64_t>(static_cast<double>(i) * scale + offset));
  }
  apply_luts(pixels, n, luts);
}

void equalize(uint8_t* pixels, int width, int height) {
  const size_t n = count_values(width, height);
  const auto h = histograms(pixels, n);
  std::array<Lut, 3> luts;
  for (int c = 0; c < 3; ++c) {
    // step = (sum of the non-zero bins - the last non-zero bin) // 255
    int64_t total = 0, last = 0, nonzero = 0;
    for (int i = 0; i < 256; ++i) {
      if (h[c][i] == 0) continue;
      total += h[c][i];
      last = h[c][i];
      ++nonzero;
    }
    const int64_t step = nonzero <= 1 ? 0 : (total - last) / 255;
    if (step == 0) {
      luts[c] = identity_lut();
      continue;
    }
    int64_t acc = step / 2;
    for (int i = 0; i < 256; ++i) {
      luts[c][i] = clip_entry(acc / step);
      acc += h[c][i];
    }
  }
  apply_luts(pixels, n, luts);
}

void invert(uint8_t* pixels, int width, int height) {
  const size_t n = count_values(width, height);
  for (size_t i = 0; i < n; ++i) pixels[i] = static_cast<uint8_t>(255 - pixels[i]);
}

}  // namespace imagenet
