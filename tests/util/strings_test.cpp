// Tests util/strings and util/rng.
#include "imagenet/util/strings.h"

#include <gtest/gtest.h>

#include <cmath>

#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

TEST(Strings, FormatsDurationsAsTqdm) {
  EXPECT_EQ(format_duration(500), "08:20");
  EXPECT_EQ(format_duration(4500), "1:15:00");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(Strings, ParsesByteSizes) {
  uint64_t b = 0;
  EXPECT_TRUE(parse_byte_size("256MB", &b));
  EXPECT_EQ(b, 256000000u);
  EXPECT_TRUE(parse_byte_size("1GiB", &b));
  EXPECT_EQ(b, 1073741824u);
  EXPECT_FALSE(parse_byte_size("lots", &b));
}

TEST(Rng, DeterministicAndWellSpread) {
  Rng a(1), b(1);
  double sum = 0, sum_beta = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = a.uniform();
    EXPECT_EQ(u, b.uniform());
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
  Rng c(2);
  for (int i = 0; i < 100000; ++i) sum_beta += c.beta(0.2, 0.2);
  EXPECT_NEAR(sum_beta / 100000, 0.5, 0.01);  // Beta(a, a) has mean 1/2
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(1, 2, 4));
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(2, 2, 3));
}

}  // namespace
}  // namespace imagenet
