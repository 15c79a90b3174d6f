// Per-class validation counts (ClassCounts): images, top-1 and top-5 hits per label, checked
// against counts made by hand for logits whose ranking is known.
#include "imagenet/train/metrics.h"

#include <gtest/gtest.h>

namespace imagenet {
namespace {

TEST(ClassCounts, CountsImagesAndTopKHitsPerLabel) {
  // 6 classes; logits rank classes 0 > 1 > ... > 5 for every image.
  at::Tensor row = at::arange(6, 0, -1, at::kFloat);  // [6, 5, 4, 3, 2, 1]
  at::Tensor logits = row.repeat({4, 1});             // [4, 6]
  at::Tensor labels = at::tensor({0, 0, 4, 5}, at::kLong);
  ClassCounts counts(6, c10::Device(c10::kCPU));
  counts.add(logits, labels);
  counts.add(logits.narrow(0, 0, 1), labels.narrow(0, 2, 1));  // one more image of class 4
  const at::Tensor c = counts.counts;
  // class 0: 2 images, both top-1 and top-5; class 4: 2 images in the top 5, not top 1;
  // class 5: ranked 6th, no hit.
  EXPECT_EQ(c[0][0].item<int64_t>(), 2);
  EXPECT_EQ(c[0][1].item<int64_t>(), 2);
  EXPECT_EQ(c[0][2].item<int64_t>(), 2);
  EXPECT_EQ(c[4][0].item<int64_t>(), 2);
  EXPECT_EQ(c[4][1].item<int64_t>(), 0);
  EXPECT_EQ(c[4][2].item<int64_t>(), 2);
  EXPECT_EQ(c[5][0].item<int64_t>(), 1);
  EXPECT_EQ(c[5][2].item<int64_t>(), 0);
  EXPECT_EQ(c[1][0].item<int64_t>(), 0);
}

TEST(ClassCounts, FewerThanFiveClassesCountEveryImageInTheTopK) {
  ClassCounts counts(3, c10::Device(c10::kCPU));
  counts.add(at::tensor({0.1f, 0.9f, 0.5f}).view({1, 3}), at::tensor({0}, at::kLong));
  EXPECT_EQ(counts.counts[0][1].item<int64_t>(), 0);
  EXPECT_EQ(counts.counts[0][2].item<int64_t>(), 1);
}

}  // namespace
}  // namespace imagenet
