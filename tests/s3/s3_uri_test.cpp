// Tests s3/s3_uri.h: parsing s3:// locations, and the encoding and query order SigV4 signs.
#include "imagenet/s3/s3_uri.h"

#include <gtest/gtest.h>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

TEST(S3Uri, ParsesBucketAndPrefix) {
  const S3Uri uri = parse_s3_uri("s3://sij-imagenet-train/imagenet/");
  EXPECT_EQ(uri.bucket, "sij-imagenet-train");
  EXPECT_EQ(uri.prefix, "imagenet");
  EXPECT_EQ(uri.str(), "s3://sij-imagenet-train/imagenet");
  EXPECT_EQ(uri.key("train/n01/a.jpg"), "imagenet/train/n01/a.jpg");
  EXPECT_EQ(uri.child("val").str(), "s3://sij-imagenet-train/imagenet/val");
  const S3Uri whole = parse_s3_uri("s3://bucket");
  EXPECT_EQ(whole.prefix, "");
  EXPECT_EQ(whole.key("/train/"), "train");
  EXPECT_EQ(whole.str(), "s3://bucket");
  EXPECT_TRUE(is_s3_uri("s3://b/x"));
  EXPECT_FALSE(is_s3_uri("/mnt/s3/x"));
  EXPECT_FALSE(is_s3_uri("S3://b"));
}

TEST(S3Uri, RejectsWhatIsNotABucket) {
  for (const char* bad : {"s3://", "s3://ab", "s3://Upper-Case/x", "s3://under_score", "s3://-dash",
                          "s3://b..//x//y", "/data/imagenet", "s3:/bucket"}) {
    try {
      parse_s3_uri(bad, "data_root");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("data_root '"), std::string::npos) << e.what();
    }
  }
}

TEST(S3Uri, EncodesAsSigV4Requires) {
  EXPECT_EQ(s3_uri_encode("test$file.text", true), "test%24file.text");
  EXPECT_EQ(s3_uri_encode("a b/c+d~e_f-g.h", true), "a%20b/c%2Bd~e_f-g.h");
  EXPECT_EQ(s3_uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(s3_uri_encode("caf\xC3\xA9", true), "caf%C3%A9");
  EXPECT_EQ(s3_uri_encode("*'()!", true), "%2A%27%28%29%21");
}

TEST(S3Uri, QueryIsSortedEncodedAndHasEquals) {
  EXPECT_EQ(s3_query_string({{"prefix", "J"}, {"max-keys", "2"}}), "max-keys=2&prefix=J");
  EXPECT_EQ(s3_query_string({{"lifecycle", ""}}), "lifecycle=");
  EXPECT_EQ(s3_query_string(
                {{"prefix", "train/a b"}, {"list-type", "2"}, {"continuation-token", "x+y/z="}}),
            "continuation-token=x%2By%2Fz%3D&list-type=2&prefix=train%2Fa%20b");
}

}  // namespace
}  // namespace imagenet
