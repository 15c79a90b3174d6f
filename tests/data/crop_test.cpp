// Tests data/crop: RandomResizedCrop's properties and its distribution against torchvision's
// (tests/golden/rrc_stats.py), and the center crop against torchvision's arithmetic.
#include "imagenet/data/crop.h"

#include <gtest/gtest.h>

#include <cmath>

namespace imagenet {
namespace {

const std::array<double, 2> kScale{0.08, 1.0};
const std::array<double, 2> kRatio{3.0 / 4.0, 4.0 / 3.0};

TEST(RandomResizedCrop, AlwaysInsideTheImage) {
  Rng rng(1);
  for (int trial = 0; trial < 20000; ++trial) {
    int w = static_cast<int>(rng.uniform_int(1, 700)),
        h = static_cast<int>(rng.uniform_int(1, 700));
    CropWindow c = sample_random_resized_crop(w, h, kScale, kRatio, rng);
    ASSERT_GE(c.x, 0);
    ASSERT_GE(c.y, 0);
    ASSERT_GE(c.width, 1);
    ASSERT_GE(c.height, 1);
    ASSERT_LE(c.x + c.width, w);
    ASSERT_LE(c.y + c.height, h);
  }
}

TEST(RandomResizedCrop, AreaAndAspectWithinTheirRanges) {
  Rng rng(2);
  int fallback = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    CropWindow c = sample_random_resized_crop(500, 375, kScale, kRatio, rng);
    double area = static_cast<double>(c.width) * c.height / (500.0 * 375.0);
    double aspect = static_cast<double>(c.width) / c.height;
    // Rounding to whole pixels can move both a little past the exact bounds.
    EXPECT_GE(area, 0.08 * 0.98);
    EXPECT_LE(area, 1.0);
    EXPECT_GE(aspect, 0.75 * 0.98);
    EXPECT_LE(aspect, 4.0 / 3.0 * 1.02);
    if (c.width == 500 && c.height == 375) ++fallback;
  }
  EXPECT_LT(fallback, 200);  // a 500x375 image almost never needs the fallback
}

TEST(RandomResizedCrop, SameSeedSameCrop) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    CropWindow x = sample_random_resized_crop(640, 480, kScale, kRatio, a);
    CropWindow y = sample_random_resized_crop(640, 480, kScale, kRatio, b);
    CropWindow z = sample_random_resized_crop(640, 480, kScale, kRatio, c);
    EXPECT_EQ(x.x, y.x);
    EXPECT_EQ(x.y, y.y);
    EXPECT_EQ(x.width, y.width);
    EXPECT_EQ(x.height, y.height);
    differs |= x.x != z.x || x.width != z.width;
  }
  EXPECT_TRUE(differs);
}

TEST(RandomResizedCrop, FallbackClampsTheAspectRatio) {
  // A 10x1000 strip: no sampled crop fits, so the central crop with ratio 3/4 is returned.
  Rng rng(3);
  CropWindow c = sample_random_resized_crop(10, 1000, {0.9, 1.0}, kRatio, rng);
  EXPECT_EQ(c.width, 10);
  EXPECT_EQ(c.height, 13);  // round(10 / 0.75)
  EXPECT_EQ(c.x, 0);
  EXPECT_EQ(c.y, (1000 - 13) / 2);
}

struct RrcReference {
  int width, height;
  std::array<double, 2> scale;
  double mean_area, mean_log_aspect, mean_center_x;
};

TEST(RandomResizedCrop, DistributionMatchesTorchvision) {
  // Output of tests/golden/rrc_stats.py (torchvision 0.14, 200,000 draws each).
  const RrcReference references[] = {
      {500, 375, {0.08, 1.0}, 0.4339, 0.0308, 0.4998},
      {64, 640, {0.08, 1.0}, 0.1248, -0.2467, 0.4999},
      {200, 200, {0.35, 1.0}, 0.6167, 0.0001, 0.5000},
  };
  for (const auto& ref : references) {
    Rng rng(7);
    const int draws = 200000;
    double area = 0, log_aspect = 0, cx = 0;
    for (int i = 0; i < draws; ++i) {
      CropWindow c = sample_random_resized_crop(ref.width, ref.height, ref.scale, kRatio, rng);
      area += static_cast<double>(c.width) * c.height / (ref.width * ref.height);
      log_aspect += std::log(static_cast<double>(c.width) / c.height);
      cx += (c.x + c.width / 2.0) / ref.width;
    }
    EXPECT_NEAR(area / draws, ref.mean_area, 0.004) << ref.width << "x" << ref.height;
    EXPECT_NEAR(log_aspect / draws, ref.mean_log_aspect, 0.004) << ref.width << "x" << ref.height;
    EXPECT_NEAR(cx / draws, ref.mean_center_x, 0.003) << ref.width << "x" << ref.height;
  }
}

TEST(CenterCrop, MatchesTorchvisionResizeThenCrop) {
  // Resize(256) makes 500x375 into 341x256; CenterCrop(224) keeps x 58..282, y 16..240,
  // which is 85..413 x 23..351 in the source.
  CropWindow c = center_crop_window(500, 375, 224, 0.875);
  EXPECT_EQ(c.x, 85);
  EXPECT_EQ(c.y, 23);
  EXPECT_EQ(c.width, 328);
  EXPECT_EQ(c.height, 328);
  // A portrait image: the long side is vertical.
  CropWindow p = center_crop_window(300, 600, 224, 0.875);
  EXPECT_EQ(p.width, p.height);
  EXPECT_EQ(p.x, std::lround(16 * 300.0 / 256));
  // Smaller than the crop: upscaled to 256 like any other, then the central 224/256 kept.
  CropWindow s = center_crop_window(20, 20, 224, 0.875);
  EXPECT_EQ(s.x, 1);       // 16 * 20 / 256 = 1.25
  EXPECT_EQ(s.width, 18);  // 224 * 20 / 256 = 17.5
}

}  // namespace
}  // namespace imagenet
