// Implements image/image_geometry.h after Pillow 9.4: libImaging/Geometry.c (ImagingScaleAffine,
// affine_fixed, ImagingTransformAffine, ImagingGenericTransform with bilinear_filter32RGB and
// bicubic_filter32RGB, the ROTATE_90/180/270 transposes), PIL/Image.py (Image.rotate) and
// torchvision/transforms/functional.py (_get_inverse_affine_matrix). The expressions keep
// Pillow's order of floating-point operations: the pixels depend on it.
#include "imagenet/image/image_geometry.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace imagenet {
namespace {

constexpr double kPi = 3.14159265358979323846;  // Py_MATH_PI

// Geometry.c's COORD and FLOOR macros.
inline int coord(double v) {
  return v < 0.0 ? -1 : static_cast<int>(v);
}
inline int floor_int(double v) {
  return v < 0.0 ? static_cast<int>(std::floor(v)) : static_cast<int>(v);
}

inline void copy_pixel(const uint8_t* src, int width, int x, int y, uint8_t* out) {
  std::memcpy(out, src + (static_cast<size_t>(y) * width + x) * 3, 3);
}

void fill_image(uint8_t* dst, int width, int height, const Rgb& fill) {
  const size_t n = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < n; ++i) std::memcpy(dst + i * 3, fill.data(), 3);
}

// ImagingScaleAffine: nearest neighbour when the matrix has no rotation or shear part.
void scale_affine(const uint8_t* src, uint8_t* dst, int w, int h, const std::array<double, 6>& a) {
  std::vector<int> xintab(w, 0);
  double xo = a[2] + a[0] * 0.5;
  double yo = a[5] + a[4] * 0.5;
  int xmin = w, xmax = 0;
  for (int x = 0; x < w; ++x) {
    const int xin = coord(xo);
    if (xin >= 0 && xin < w) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[x] = xin;
    }
    xo += a[0];
  }
  for (int y = 0; y < h; ++y) {
    const int yi = coord(yo);
    if (yi >= 0 && yi < h) {
      for (int x = xmin; x < xmax; ++x)
        copy_pixel(src, w, xintab[x], yi, dst + (static_cast<size_t>(y) * w + x) * 3);
    }
    yo += a[4];
  }
}

bool fits_fixed_point(const std::array<double, 6>& a, int x, int y) {
  return std::fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 &&
         std::fabs(x * a[3] + y * a[4] + a[5]) < 32768.0;
}

// affine_fixed: nearest neighbour in 16.16 fixed point, stepping along rows.
void affine_fixed(const uint8_t* src, uint8_t* dst, int w, int h, const std::array<double, 6>& a) {
  auto fix = [](double v) { return floor_int(v * 65536.0 + 0.5); };
  const int a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4]);
  int a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5);
  int a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
  for (int y = 0; y < h; ++y) {
    int xx = a2, yy = a5;
    uint8_t* out = dst + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x, out += 3) {
      const int xin = xx >> 16;  // arithmetic shift: floor, as in Pillow's build
      if (xin >= 0 && xin < w) {
        const int yin = yy >> 16;
        if (yin >= 0 && yin < h) copy_pixel(src, w, xin, yin, out);
      }
      xx += a0;
      yy += a3;
    }
    a2 += a1;
    a5 += a4;
  }
}

// The floating-point nearest-neighbour loop Pillow falls back to far from the origin.
void affine_float(const uint8_t* src, uint8_t* dst, int w, int h, const std::array<double, 6>& a) {
  double xo = a[2] + a[1] * 0.5 + a[0] * 0.5;
  double yo = a[5] + a[4] * 0.5 + a[3] * 0.5;
  for (int y = 0; y < h; ++y) {
    double xx = xo, yy = yo;
    uint8_t* out = dst + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x, out += 3) {
      const int xin = coord(xx);
      if (xin >= 0 && xin < w) {
        const int yin = coord(yy);
        if (yin >= 0 && yin < h) copy_pixel(src, w, xin, yin, out);
      }
      xx += a[0];
      yy += a[3];
    }
    xo += a[1];
    yo += a[4];
  }
}

inline int clip_index(int v, int size) {
  return v < 0 ? 0 : v < size ? v : size - 1;
}

// bilinear_filter32RGB. Returns false outside the image (the pixel keeps the fill).
inline bool bilinear_sample(const uint8_t* src, int w, int h, double xin, double yin,
                            uint8_t* out) {
  if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) return false;
  xin -= 0.5;
  yin -= 0.5;
  const int x = floor_int(xin), y = floor_int(yin);
  const double dx = xin - x, dy = yin - y;
  const int x0 = clip_index(x, w) * 3, x1 = clip_index(x + 1, w) * 3;
  const uint8_t* row = src + static_cast<size_t>(clip_index(y, h)) * w * 3;
  const bool has_next = y + 1 >= 0 && y + 1 < h;
  const uint8_t* next = src + static_cast<size_t>(y + 1) * w * 3;
  for (int b = 0; b < 3; ++b) {
    double v1 = row[x0 + b] + (row[x1 + b] - row[x0 + b]) * dx;
    double v2 = has_next ? next[x0 + b] + (next[x1 + b] - next[x0 + b]) * dx : v1;
    v1 = v1 + (v2 - v1) * dy;
    out[b] = static_cast<uint8_t>(v1);
  }
  return true;
}

// Geometry.c's BICUBIC macro (a = -0.5 written out).
inline double cubic(double v1, double v2, double v3, double v4, double d) {
  const double p1 = v2;
  const double p2 = -v1 + v3;
  const double p3 = 2 * (v1 - v2) + v3 - v4;
  const double p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

// The BICUBIC macro on four uint8 values, as Pillow evaluates it there: p1..p4 in int arithmetic
// (exact), the polynomial in double.
inline double cubic_u8(int v1, int v2, int v3, int v4, double d) {
  const int p2 = -v1 + v3;
  const int p3 = 2 * (v1 - v2) + v3 - v4;
  const int p4 = -v1 + v2 - v3 + v4;
  return v2 + d * (p2 + d * (p3 + d * p4));
}

// bicubic_filter32RGB: rows above and below the image repeat the nearest row read (a row that
// repeats gives the same values, so it is read from the same pointer).
inline bool bicubic_sample(const uint8_t* src, int w, int h, double xin, double yin, uint8_t* out) {
  if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) return false;
  xin -= 0.5;
  yin -= 0.5;
  int x = floor_int(xin), y = floor_int(yin);
  const double dx = xin - x, dy = yin - y;
  --x;
  --y;
  int xs[4];
  for (int i = 0; i < 4; ++i) xs[i] = clip_index(x + i, w) * 3;
  const size_t stride = static_cast<size_t>(w) * 3;
  const uint8_t* rows[4];
  rows[0] = src + static_cast<size_t>(clip_index(y, h)) * stride;
  for (int i = 1; i < 4; ++i)
    rows[i] = y + i >= 0 && y + i < h ? src + static_cast<size_t>(y + i) * stride : rows[i - 1];
  for (int b = 0; b < 3; ++b) {
    double v[4];
    for (int i = 0; i < 4; ++i) {
      const uint8_t* p = rows[i] + b;
      v[i] = cubic_u8(p[xs[0]], p[xs[1]], p[xs[2]], p[xs[3]], dx);
    }
    const double value = cubic(v[0], v[1], v[2], v[3], dy);
    out[b] = value <= 0.0 ? 0 : value >= 255.0 ? 255 : static_cast<uint8_t>(value);
  }
  return true;
}

// ImagingGenericTransform with affine_transform as the map.
template <typename Sample>
void generic_affine(const uint8_t* src, uint8_t* dst, int w, int h, const std::array<double, 6>& a,
                    Sample sample) {
  for (int y = 0; y < h; ++y) {
    uint8_t* out = dst + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x, out += 3) {
      const double xin = x + 0.5, yin = y + 0.5;
      sample(src, w, h, a[0] * xin + a[1] * yin + a[2], a[3] * xin + a[4] * yin + a[5], out);
    }
  }
}

// Python's float % (the result takes the divisor's sign).
double python_mod(double x, double m) {
  double r = std::fmod(x, m);
  if (r != 0.0) {
    if ((m < 0) != (r < 0)) r += m;
  } else {
    r = std::copysign(0.0, m);
  }
  return r;
}

// Python's round(x, 15): the double nearest to x correctly rounded to 15 decimals (glibc's
// printf rounds exactly, as CPython's dtoa does).
double python_round15(double x) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.15f", x);
  return std::strtod(text, nullptr);
}

// Image.transpose(ROTATE_90 / ROTATE_180 / ROTATE_270): `quarter` counter-clockwise turns.
void transpose(const uint8_t* src, uint8_t* dst, int w, int h, int quarter) {
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int ox, oy;
      if (quarter == 1) {
        ox = y, oy = w - 1 - x;  // ImagingRotate90: out[w-1-x][y] = in[y][x]
      } else if (quarter == 2) {
        ox = w - 1 - x, oy = h - 1 - y;
      } else {
        ox = h - 1 - y, oy = x;  // ImagingRotate270: out[x][h-1-y] = in[y][x]
      }
      const int out_width = quarter == 2 ? w : h;
      copy_pixel(src, w, x, y, dst + (static_cast<size_t>(oy) * out_width + ox) * 3);
    }
  }
}

}  // namespace

void affine_transform(const uint8_t* src, uint8_t* dst, int width, int height,
                      const std::array<double, 6>& matrix, Interpolation interpolation,
                      const Rgb& fill) {
  // Image.transform starts from an image of the fill colour; Pillow writes only the pixels
  // whose sample lies inside the input.
  fill_image(dst, width, height, fill);
  switch (interpolation) {
    case Interpolation::kBilinear:
      generic_affine(src, dst, width, height, matrix,
                     [](auto... args) { return bilinear_sample(args...); });
      return;
    case Interpolation::kBicubic:
      generic_affine(src, dst, width, height, matrix,
                     [](auto... args) { return bicubic_sample(args...); });
      return;
    case Interpolation::kNearest:
      break;
  }
  if (matrix[1] == 0 && matrix[3] == 0) {
    scale_affine(src, dst, width, height, matrix);
  } else if (fits_fixed_point(matrix, 0, 0) && fits_fixed_point(matrix, width, height) &&
             fits_fixed_point(matrix, 0, height) && fits_fixed_point(matrix, width, 0)) {
    affine_fixed(src, dst, width, height, matrix);
  } else {
    affine_float(src, dst, width, height, matrix);
  }
}

void rotate_image(const uint8_t* src, uint8_t* dst, int width, int height, double degrees,
                  Interpolation interpolation, const Rgb& fill) {
  const double angle = python_mod(degrees, 360.0);
  if (angle == 0) {
    std::memcpy(dst, src, static_cast<size_t>(width) * height * 3);
    return;
  }
  if (angle == 180) {
    transpose(src, dst, width, height, 2);
    return;
  }
  if ((angle == 90 || angle == 270) && width == height) {
    transpose(src, dst, width, height, angle == 90 ? 1 : 3);
    return;
  }
  const double cx = width / 2.0, cy = height / 2.0;
  const double radians = -(angle * (kPi / 180.0));  // -math.radians(angle)
  std::array<double, 6> m = {
      python_round15(std::cos(radians)),  python_round15(std::sin(radians)), 0.0,
      python_round15(-std::sin(radians)), python_round15(std::cos(radians)), 0.0};
  const double tx = m[0] * -cx + m[1] * -cy + m[2];
  const double ty = m[3] * -cx + m[4] * -cy + m[5];
  m[2] = tx + cx;
  m[5] = ty + cy;
  affine_transform(src, dst, width, height, m, interpolation, fill);
}

std::array<double, 6> torchvision_inverse_affine(const std::array<double, 2>& center, double angle,
                                                 const std::array<double, 2>& translate,
                                                 double scale, const std::array<double, 2>& shear) {
  const double deg_to_rad = kPi / 180.0;
  const double rot = angle * deg_to_rad;
  const double sx = shear[0] * deg_to_rad;
  const double sy = shear[1] * deg_to_rad;
  const double cx = center[0], cy = center[1];
  const double tx = translate[0], ty = translate[1];
  // RSS without scaling, then inverted: [d, -b, 0, -c, a, 0] / scale.
  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);
  std::array<double, 6> m = {d / scale,  -b / scale, 0.0 / scale,
                             -c / scale, a / scale,  0.0 / scale};
  // Apply the inverse of the centre translation and of the translation, then re-centre.
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

}  // namespace imagenet
