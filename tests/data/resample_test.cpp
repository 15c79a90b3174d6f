// Tests data/resample: Pillow's pixels (tests/golden/pil_resize.py), exactly, for shrinking,
// enlarging and both at once; flipping mirrors the result.
#include "imagenet/data/resample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "imagenet/data/image_decoder.h"

namespace imagenet {
namespace {

struct Case {
  int box[4];  // x0, y0, x1, y1
  int size[2];
  long long sum;
  uint32_t weighted;
  int pixel[3];  // at (width / 2, height / 3)
};

// Printed by tests/golden/pil_resize.py (Pillow 9.4, Debian 12).
const Case kPillow[] = {
    {{5, 3, 90, 58}, {40, 30}, 460573, 829537323u, {108, 126, 80}},
    {{10, 10, 30, 25}, {64, 48}, 1154523, 1231103654u, {73, 175, 82}},
    {{0, 0, 97, 61}, {224, 150}, 12717903, 397320507u, {86, 81, 185}},
    {{1, 2, 96, 11}, {13, 27}, 133089, 70613073u, {141, 122, 92}},
};

TEST(Resample, ProducesPillowsPixels) {
  const int w = 97, h = 61;
  std::vector<uint8_t> image(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &image[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>((x * 7 + y * 13) % 256);
      p[1] = static_cast<uint8_t>((x * x + 3 * y) % 256);
      p[2] = static_cast<uint8_t>((x * y + 50) % 256);
    }
  for (const Case& c : kPillow) {
    const int ow = c.size[0], oh = c.size[1];
    std::vector<uint8_t> out(static_cast<size_t>(ow) * oh * 3);
    resize_bilinear_antialiased(image.data(), w * 3, c.box[0], c.box[1], c.box[2] - c.box[0],
                                c.box[3] - c.box[1], out.data(), ow, oh, false);
    long long sum = 0;
    uint32_t weighted = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      sum += out[i];
      weighted += static_cast<uint32_t>((i + 1) * out[i]);
    }
    EXPECT_EQ(sum, c.sum) << ow << "x" << oh;
    EXPECT_EQ(weighted, c.weighted) << ow << "x" << oh;
    const uint8_t* p = &out[(static_cast<size_t>(oh / 3) * ow + ow / 2) * 3];
    EXPECT_EQ(p[0], c.pixel[0]);
    EXPECT_EQ(p[1], c.pixel[1]);
    EXPECT_EQ(p[2], c.pixel[2]);

    std::vector<uint8_t> flipped(out.size());
    resize_bilinear_antialiased(image.data(), w * 3, c.box[0], c.box[1], c.box[2] - c.box[0],
                                c.box[3] - c.box[1], flipped.data(), ow, oh, true);
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x)
        for (int k = 0; k < 3; ++k)
          ASSERT_EQ(flipped[(y * ow + x) * 3 + k], out[(y * ow + (ow - 1 - x)) * 3 + k]);
  }
}

TEST(Resample, CropResizeIsPillowsWithinOneLevelWhenEnlarging) {
  const int w = 97, h = 61;
  DecodedImage image;
  image.width = w;
  image.height = h;
  image.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &image.pixels[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>((x * 7 + y * 13) % 256);
      p[1] = static_cast<uint8_t>((x * x + 3 * y) % 256);
      p[2] = static_cast<uint8_t>((x * y + 50) % 256);
    }
  for (const Case& c : kPillow) {
    const int ow = c.size[0], oh = c.size[1];
    image.crop_x = c.box[0];
    image.crop_y = c.box[1];
    image.crop_width = c.box[2] - c.box[0];
    image.crop_height = c.box[3] - c.box[1];
    std::vector<uint8_t> got(static_cast<size_t>(ow) * oh * 3), pillow(got.size());
    resize_crop_into(image, ow, oh, false, got.data());
    resize_bilinear_antialiased(image.pixels.data(), w * 3, c.box[0], c.box[1], c.box[2] - c.box[0],
                                c.box[3] - c.box[1], pillow.data(), ow, oh, false);
    int worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - pillow[i]));
    EXPECT_LE(worst, 1) << ow << "x" << oh;
  }
}

}  // namespace
}  // namespace imagenet
