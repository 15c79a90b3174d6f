// Implements data/resample.h after Pillow's libImaging/Resample.c (bilinear_filter,
// bicubic_filter, precompute_coeffs,
// normalize_coeffs_8bpc, ImagingResampleHorizontal/Vertical_8bpc, ImagingResampleInner).
#include "imagenet/data/resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

/// Per output pixel: the first source pixel and the count of taps; weights in fixed point.
struct Coefficients {
  int taps = 0;  // weights per output pixel (the largest count)
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;  // out_size x taps
};

// Pillow's filters: the triangle (support 1) and the cubic convolution kernel with a = -0.5
// (support 2).
double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

void precompute(int in_size, int out_size, Interpolation filter, Coefficients* c) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  IMAGENET_CHECK(filter != Interpolation::kNearest,
                 "resize_antialiased filters bilinear or bicubic");
  const bool cubic = filter == Interpolation::kBicubic;
  const double support = (cubic ? 2.0 : 1.0) * filter_scale;
  const double ss = 1.0 / filter_scale;
  c->taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  c->first.resize(out_size);
  c->count.resize(out_size);
  c->weights.assign(static_cast<size_t>(out_size) * c->taps, 0);
  std::vector<double> w(c->taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(0, static_cast<int>(center - support + 0.5));
    const int xmax = std::min(in_size, static_cast<int>(center + support + 0.5)) - xmin;
    double total = 0;
    for (int x = 0; x < xmax; ++x) {
      const double t = (x + xmin - center + 0.5) * ss;
      w[x] = cubic ? bicubic_filter(t) : bilinear_filter(t);
      total += w[x];
    }
    int32_t* k = &c->weights[static_cast<size_t>(xx) * c->taps];
    for (int x = 0; x < xmax; ++x) {
      const double v = total != 0 ? w[x] / total : 0;
      k[x] = static_cast<int32_t>(v < 0 ? -0.5 + v * (1 << kPrecisionBits)
                                        : 0.5 + v * (1 << kPrecisionBits));
    }
    c->first[xx] = xmin;
    c->count[xx] = xmax;
  }
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

}  // namespace

void resize_antialiased(const uint8_t* src, int stride, int x, int y, int width, int height,
                        uint8_t* dst, int out_width, int out_height, bool flip,
                        Interpolation filter) {
  thread_local Coefficients horizontal, vertical;
  thread_local std::vector<uint8_t> temp;
  thread_local std::vector<int32_t> row;
  precompute(width, out_width, filter, &horizontal);
  precompute(height, out_height, filter, &vertical);
  const bool need_horizontal = width != out_width;
  const bool need_vertical = height != out_height;
  const int first_row = vertical.first[0];
  const int last_row = vertical.first[out_height - 1] + vertical.count[out_height - 1];
  const int32_t half = 1 << (kPrecisionBits - 1);

  // Horizontal pass over the rows the vertical pass reads, into uint8 as Pillow does.
  const int rows = need_vertical ? last_row - first_row : out_height;
  const int row0 = need_vertical ? first_row : 0;
  temp.resize(static_cast<size_t>(rows) * out_width * 3);
  for (int r = 0; r < rows; ++r) {
    const uint8_t* in =
        src + static_cast<size_t>(y + row0 + r) * stride + static_cast<size_t>(x) * 3;
    uint8_t* out = temp.data() + static_cast<size_t>(r) * out_width * 3;
    if (!need_horizontal) {
      std::copy(in, in + static_cast<size_t>(out_width) * 3, out);
      continue;
    }
    const int taps = horizontal.taps;
    const int32_t* __restrict weights = horizontal.weights.data();
    const int* __restrict first = horizontal.first.data();
    const int* __restrict count = horizontal.count.data();
    for (int xx = 0; xx < out_width; ++xx) {
      const int32_t* __restrict k = weights + static_cast<size_t>(xx) * taps;
      const uint8_t* __restrict p = in + static_cast<size_t>(first[xx]) * 3;
      int32_t s0 = half, s1 = half, s2 = half;
      for (int t = 0, n = count[xx]; t < n; ++t, p += 3) {
        const int32_t w = k[t];
        s0 += p[0] * w;
        s1 += p[1] * w;
        s2 += p[2] * w;
      }
      out[xx * 3] = clip8(s0);
      out[xx * 3 + 1] = clip8(s1);
      out[xx * 3 + 2] = clip8(s2);
    }
  }

  // Vertical pass, row by row (the inner loop runs along the row: vectorizable), then flip.
  const int width3 = out_width * 3;
  row.resize(width3);
  for (int yy = 0; yy < out_height; ++yy) {
    uint8_t* out = dst + static_cast<size_t>(yy) * width3;
    if (!need_vertical) {
      std::copy(temp.data() + static_cast<size_t>(yy) * width3,
                temp.data() + static_cast<size_t>(yy + 1) * width3, out);
    } else {
      const int32_t* k = &vertical.weights[static_cast<size_t>(yy) * vertical.taps];
      int32_t* __restrict acc = row.data();
      for (int i = 0; i < width3; ++i) acc[i] = half;
      for (int t = 0; t < vertical.count[yy]; ++t) {
        const uint8_t* __restrict in =
            temp.data() + static_cast<size_t>(vertical.first[yy] - first_row + t) * width3;
        const int32_t w = k[t];
        for (int i = 0; i < width3; ++i) acc[i] += in[i] * w;
      }
      uint8_t* __restrict o = out;
      for (int i = 0; i < width3; ++i) o[i] = clip8(acc[i]);
    }
    if (flip) {
      for (int a = 0, b = out_width - 1; a < b; ++a, --b)
        for (int c = 0; c < 3; ++c) std::swap(out[a * 3 + c], out[b * 3 + c]);
    }
  }
}

}  // namespace imagenet
