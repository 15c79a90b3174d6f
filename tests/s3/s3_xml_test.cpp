// Tests s3/s3_xml.h: ListObjectsV2 pages as S3 writes them (AWS's documented example shape),
// keys that need XML escapes or are UTF-8, empty and truncated pages, and error documents.
#include "imagenet/s3/s3_xml.h"

#include <gtest/gtest.h>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

const char* kPage =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>train/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>3</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>train/n01440764/a&amp;b &lt;1&gt;.JPEG</Key>
    <LastModified>2026-11-30T10:00:00.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>110592</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>train/n01440764/caf&#xE9; ünïcödé 日本.jpg</Key>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e-12"</ETag>
    <Size>0</Size>
  </Contents>
  <Contents>
    <Key><![CDATA[train/n01440764/raw&<cdata>.jpg]]></Key>
    <Size>7</Size>
  </Contents>
</ListBucketResult>)";

TEST(S3Xml, ParsesAPageWithEscapedAndUtf8Keys) {
  const S3ListPage page = parse_list_objects_v2(kPage, "test");
  ASSERT_EQ(page.objects.size(), 3u);
  EXPECT_EQ(page.objects[0].key, "train/n01440764/a&b <1>.JPEG");
  EXPECT_EQ(page.objects[0].size, 110592);
  EXPECT_EQ(page.objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page.objects[0].last_modified, "2026-11-30T10:00:00.000Z");
  EXPECT_EQ(page.objects[1].key,
            "train/n01440764/caf\xC3\xA9 \xC3\xBCn\xC3\xAF\x63\xC3\xB6"
            "d\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC.jpg");
  EXPECT_EQ(page.objects[1].size, 0);
  EXPECT_EQ(page.objects[1].etag, "d41d8cd98f00b204e9800998ecf8427e-12");
  EXPECT_EQ(page.objects[2].key, "train/n01440764/raw&<cdata>.jpg");
  EXPECT_TRUE(page.is_truncated);
  EXPECT_EQ(page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3Xml, ParsesCommonPrefixesAndAnEmptyLastPage) {
  const S3ListPage folders = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>train/a/"
      "</Prefix></CommonPrefixes><CommonPrefixes><Prefix>train/b&amp;c/</Prefix>"
      "</CommonPrefixes></ListBucketResult>",
      "test");
  EXPECT_TRUE(folders.objects.empty());
  EXPECT_EQ(folders.common_prefixes, (std::vector<std::string>{"train/a/", "train/b&c/"}));
  EXPECT_FALSE(folders.is_truncated);

  const S3ListPage empty = parse_list_objects_v2(
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
      "test");
  EXPECT_TRUE(empty.objects.empty());
  EXPECT_TRUE(empty.common_prefixes.empty());
}

TEST(S3Xml, RejectsTruncatedAndForeignDocuments) {
  const std::string page = kPage;
  for (size_t cut : {page.size() - 1, page.size() / 2, size_t{40}}) {
    try {
      parse_list_objects_v2(page.substr(0, cut), "the listing of s3://bucket/train");
      ADD_FAILURE() << "accepted a document cut at " << cut;
    } catch (const RuntimeError& e) {
      EXPECT_NE(std::string(e.what()).find("the listing of s3://bucket/train: the answer is not "
                                           "a complete XML document"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(parse_list_objects_v2("<html><body>502 Bad Gateway</body></html>", "t"),
               RuntimeError);
  EXPECT_THROW(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                     "</ListBucketResult>",
                                     "t"),
               RuntimeError);  // truncated without a token: the listing could not go on
  EXPECT_THROW(parse_list_objects_v2("<ListBucketResult><IsTruncated>false</IsTruncated>"
                                     "<Contents><Key>k</Key><Size>12x</Size></Contents>"
                                     "</ListBucketResult>",
                                     "t"),
               RuntimeError);
  EXPECT_THROW(parse_list_objects_v2("", "t"), RuntimeError);
}

TEST(S3Xml, ReadsErrorDocuments) {
  const S3ErrorBody error = parse_s3_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code>"
      "<Message>The bucket you are attempting to access must be addressed using the specified "
      "endpoint.</Message><Region>eu-west-1</Region><RequestId>X</RequestId></Error>");
  EXPECT_EQ(error.code, "PermanentRedirect");
  EXPECT_EQ(error.region, "eu-west-1");
  EXPECT_NE(error.message.find("specified endpoint"), std::string::npos);
  EXPECT_EQ(parse_s3_error("<html>Bad Gateway</html>").code, "");
  EXPECT_EQ(parse_s3_error("<Error><Code>Slow").code, "");
}

TEST(S3Xml, TellsMd5ETagsFromOthers) {
  EXPECT_TRUE(etag_is_md5("9b2cf535f27731c974343645a3985328"));
  EXPECT_FALSE(etag_is_md5("d41d8cd98f00b204e9800998ecf8427e-12"));
  EXPECT_FALSE(etag_is_md5("9b2cf535f27731c974343645a398532z"));
  EXPECT_FALSE(etag_is_md5(""));
}

}  // namespace
}  // namespace imagenet
