// Tests checkpoint/top_k against Lightning's ModelCheckpoint rules and names.
#include "imagenet/checkpoint/top_k.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace imagenet {
namespace {

TEST(TopK, KeepsTheBestKByValAcc1) {
  TopKCheckpoints topk("ckpt", "resnet50", 2);
  EXPECT_TRUE(topk.should_save(0.1));
  EXPECT_TRUE(topk.add({"a", 0.1, 0}).empty());
  EXPECT_TRUE(topk.add({"b", 0.3, 1}).empty());
  EXPECT_FALSE(topk.should_save(0.1));  // a tie with the worst is not better
  EXPECT_FALSE(topk.should_save(NAN));  // NaN counts as -inf
  EXPECT_TRUE(topk.should_save(0.2));
  auto dropped = topk.add({"c", 0.2, 2});
  ASSERT_EQ(dropped, std::vector<std::string>{"a"});
  EXPECT_EQ(topk.entries()[0].path, "b");
  EXPECT_EQ(topk.entries()[1].path, "c");
}

TEST(TopK, MinusOneKeepsAllZeroKeepsNone) {
  TopKCheckpoints all("d", "m", -1), none("d", "m", 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(all.should_save(0.0));
    EXPECT_TRUE(all.add({std::to_string(i), 0.0, i}).empty());
    EXPECT_FALSE(none.should_save(1.0));
  }
}

TEST(TopK, NamesAsLightningWithVersionsOnClash) {
  TopKCheckpoints topk("ckpt", "resnet50", 3);
  EXPECT_EQ(topk.path_for(7, 0.61234, nullptr), "ckpt/resnet50-epoch=07-val_acc1=0.6123.ckpt");
  EXPECT_EQ(topk.path_for(123, 1.0, nullptr), "ckpt/resnet50-epoch=123-val_acc1=1.0000.ckpt");
  static std::set<std::string> taken;
  taken = {"ckpt/resnet50-epoch=07-val_acc1=0.6123.ckpt",
           "ckpt/resnet50-epoch=07-val_acc1=0.6123-v1.ckpt"};
  EXPECT_EQ(topk.path_for(7, 0.61234, [](const std::string& p) { return taken.count(p) > 0; }),
            "ckpt/resnet50-epoch=07-val_acc1=0.6123-v2.ckpt");
}

}  // namespace
}  // namespace imagenet
