// Tests data/random_erasing against timm's RandomErasing rules: how often an image is erased,
// the number of boxes, their areas and aspect ratios, boxes always inside and strictly smaller
// than the image, the fill of each mode, and the same seed giving the same boxes.
#include "imagenet/data/random_erasing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace imagenet {
namespace {

TEST(RandomErasing, ErasesWithItsProbabilityAndCountsFromOneToMax) {
  RandomErasingOptions options;
  options.probability = 0.25;
  options.max_count = 3;
  Rng rng(1);
  const int images = 60000;
  int erased = 0;
  std::map<size_t, int> counts;
  for (int i = 0; i < images; ++i) {
    const auto boxes = sample_erase_boxes(options, 224, 224, rng);
    erased += !boxes.empty();
    ++counts[boxes.size()];
  }
  EXPECT_NEAR(static_cast<double>(erased) / images, 0.25, 0.01);
  // randint(1, 3): one, two or three boxes equally often (a box almost never fails 10 tries
  // on a 224 x 224 image).
  for (size_t n = 1; n <= 3; ++n)
    EXPECT_NEAR(static_cast<double>(counts[n]) / erased, 1.0 / 3, 0.02) << n;
  EXPECT_EQ(counts.count(4), 0u);
}

TEST(RandomErasing, BoxesInsideWithTimmsAreaAndAspect) {
  RandomErasingOptions options;
  options.probability = 1.0;
  Rng rng(2);
  double log_aspect_sum = 0, area_sum = 0;
  int n = 0;
  for (int i = 0; i < 40000; ++i) {
    const int w = static_cast<int>(rng.uniform_int(2, 300)),
              h = static_cast<int>(rng.uniform_int(2, 300));
    options.max_count = static_cast<int>(rng.uniform_int(1, 4));
    for (const EraseBox& box : sample_erase_boxes(options, w, h, rng)) {
      ASSERT_GE(box.x, 0);
      ASSERT_GE(box.y, 0);
      ASSERT_LT(box.width, w);  // timm: w < img_w and h < img_h
      ASSERT_LT(box.height, h);
      ASSERT_LE(box.x + box.width, w);
      ASSERT_LE(box.y + box.height, h);
    }
  }
  // On a large image, one box: area fraction uniform in [0.02, 1/3], log aspect uniform in
  // [log 0.3, -log 0.3] (up to rounding to whole pixels).
  options.max_count = 1;
  for (int i = 0; i < 40000; ++i) {
    const auto boxes = sample_erase_boxes(options, 1000, 1000, rng);
    if (boxes.empty()) continue;
    const EraseBox& b = boxes[0];
    const double area = b.width * double(b.height) / 1e6;
    ASSERT_GE(area, 0.02 * 0.97);
    ASSERT_LE(area, 1.0 / 3 * 1.03);
    area_sum += area;
    log_aspect_sum += std::log(static_cast<double>(b.height) / b.width);
    ++n;
  }
  EXPECT_GT(n, 39000);  // the tries fail only when a draw does not fit (tall or wide boxes)
  EXPECT_NEAR(area_sum / n, (0.02 + 1.0 / 3) / 2, 0.004);
  EXPECT_NEAR(log_aspect_sum / n, 0.0, 0.02);
}

TEST(RandomErasing, ModesFillWithMeanColourRandomColourOrNoise) {
  RandomErasingOptions options;
  options.probability = 1.0;
  const int w = 64, h = 48;
  std::vector<EraseBox> boxes = {{5, 6, 20, 10, 99}};
  auto erased = [&](EraseMode mode) {
    options.mode = mode;
    std::vector<uint8_t> pixels(w * h * 3, 7);
    erase_boxes(pixels.data(), w, h, boxes, options);
    return pixels;
  };
  auto at = [&](const std::vector<uint8_t>& p, int x, int y, int c) {
    return p[(y * w + x) * 3 + c];
  };
  const auto constant = erased(EraseMode::kConst);
  EXPECT_EQ(at(constant, 5, 6, 0), 124);  // round(255 * 0.485)
  EXPECT_EQ(at(constant, 24, 15, 2), 104);
  EXPECT_EQ(at(constant, 4, 6, 0), 7);  // outside the box
  EXPECT_EQ(at(constant, 25, 6, 0), 7);
  EXPECT_EQ(at(constant, 5, 16, 0), 7);
  const auto colour = erased(EraseMode::kRand);
  EXPECT_EQ(at(colour, 5, 6, 1), at(colour, 20, 12, 1));  // one colour per box
  const auto noise = erased(EraseMode::kPixel);
  int distinct = 0;
  for (int x = 6; x < 25; ++x) distinct += at(noise, x, 8, 0) != at(noise, x - 1, 8, 0);
  EXPECT_GT(distinct, 10);
  EXPECT_EQ(noise, erased(EraseMode::kPixel));  // the box's seed fixes its noise
}

TEST(RandomErasing, SameSeedSameBoxes) {
  RandomErasingOptions options;
  options.probability = 0.5;
  options.max_count = 2;
  for (uint64_t s = 0; s < 100; ++s) {
    Rng a(s), b(s);
    const auto x = sample_erase_boxes(options, 176, 176, a);
    const auto y = sample_erase_boxes(options, 176, 176, b);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].x, y[i].x);
      EXPECT_EQ(x[i].width, y[i].width);
      EXPECT_EQ(x[i].fill_seed, y[i].fill_seed);
    }
  }
}

}  // namespace
}  // namespace imagenet
