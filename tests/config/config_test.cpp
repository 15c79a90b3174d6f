// Tests config/config: the names of enum values come from the key table (what to_string gives
// is what the table prints and parses back), and batch limits and origins.
#include "imagenet/config/config.h"

#include <gtest/gtest.h>

#include "imagenet/config/config_loader.h"

namespace imagenet {
namespace {

Config with_setting(const std::string& key, const std::string& text) {
  return load_config({"", "", "", {parse_set_override(key + "=" + text)}});
}

TEST(Config, PrecisionNamesAreTheKeyTablesCanonicalSpellings) {
  EXPECT_EQ(to_string(Precision::kFloat32), "32");
  EXPECT_EQ(to_string(Precision::kFloat16Mixed), "16-mixed");
  EXPECT_EQ(to_string(Precision::kBFloat16Mixed), "bf16-mixed");
  for (Precision p : {Precision::kFloat32, Precision::kFloat16Mixed, Precision::kBFloat16Mixed}) {
    Config c;
    c.train.precision = p;
    EXPECT_EQ(to_string(p), config_value_text(c, "precision"));
    EXPECT_EQ(with_setting("precision", to_string(p)).train.precision, p) << to_string(p);
  }
}

TEST(Config, LrScalingNamesAreTheKeyTablesCanonicalSpellings) {
  EXPECT_EQ(to_string(LrScaling::kLinear), "linear");
  EXPECT_EQ(to_string(LrScaling::kNone), "none");
  for (LrScaling s : {LrScaling::kLinear, LrScaling::kNone})
    EXPECT_EQ(with_setting("lr_scaling", to_string(s)).optim.lr_scaling, s) << to_string(s);
}

TEST(Config, OriginOfAKeyNobodySetIsTheDefault) {
  Config c = with_setting("lr", "0.2");
  EXPECT_EQ(c.origin_of("lr"), "--set lr=0.2");
  EXPECT_EQ(c.origin_of("epochs"), "the default");
}

TEST(Config, BatchLimitCountsAndFractions) {
  EXPECT_EQ((BatchLimit{true, 1.0}).apply(7), 7);
  EXPECT_EQ((BatchLimit{true, 0.5}).apply(7), 3);
  EXPECT_EQ((BatchLimit{true, 0.01}).apply(7), 1);  // never zero batches of a non-empty epoch
  EXPECT_EQ((BatchLimit{true, 0.5}).apply(0), 0);
  EXPECT_EQ((BatchLimit{false, 5}).apply(7), 5);
  EXPECT_EQ((BatchLimit{false, 50}).apply(7), 7);
}

}  // namespace
}  // namespace imagenet
