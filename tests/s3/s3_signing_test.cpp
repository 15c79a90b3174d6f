// Tests the requests S3Client sends against the worked examples of AWS's "Signature Version 4
// header-based authentication" page (Amazon S3 API reference): the client, signing with
// libcurl, sends each example request with the example's x-amz-date to a loopback server,
// which records the Authorization header; it must equal the page's, byte for byte.
#include <gtest/gtest.h>

#include "imagenet/s3/s3_client.h"
#include "loopback_server.h"

namespace imagenet {
namespace {

using testing::LoopbackServer;
using testing::ScriptedReply;

constexpr const char* kExampleKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kCredential =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ";

/// A client that believes it talks to examplebucket.s3.amazonaws.com (virtual-host style, as
/// in the examples) while its connections go to `server`.
S3ClientOptions example_options(const LoopbackServer& server) {
  S3ClientOptions options;
  options.settings.endpoint = "http://s3.amazonaws.com";
  options.settings.region = "us-east-1";
  options.settings.credentials = {kExampleKeyId, kExampleSecret, "", "the test"};
  options.connect_to =
      "examplebucket.s3.amazonaws.com:80:127.0.0.1:" + std::to_string(server.port());
  options.fixed_amz_date = "20130524T000000Z";
  options.retry.max_attempts = 1;
  return options;
}

S3Request example_request(S3Method method, const std::string& key) {
  S3Request request;
  request.method = method;
  request.bucket = "examplebucket";
  request.key = key;
  return request;
}

TEST(S3Signing, GetObjectMatchesAwsExample) {
  LoopbackServer server({{testing::http_reply(206, "0123456789")}});
  S3Client client(example_options(server));
  S3Request request = example_request(S3Method::get, "test.txt");
  request.range_first = 0;
  request.range_last = 9;
  const S3Response response = client.perform(request);
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(server.header(0, "Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(server.header(0, "Range"), "bytes=0-9");
  EXPECT_EQ(server.header(0, "x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(server.header(0, "Authorization"),
            std::string(kCredential) +
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(server.requests()[0].rfind("GET /test.txt HTTP/1.1\r\n", 0), 0u);
}

TEST(S3Signing, PutObjectMatchesAwsExample) {
  // The key needs encoding ('$' -> %24) and the body is hashed into x-amz-content-sha256.
  LoopbackServer server({{testing::http_reply(200, "", "ETag: \"abc\"\r\n")}});
  S3Client client(example_options(server));
  S3Request request = example_request(S3Method::put, "test$file.text");
  request.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  request.body = "Welcome to Amazon S3.";
  const S3Response response = client.perform(request);
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.etag, "abc");
  EXPECT_EQ(server.requests()[0].rfind("PUT /test%24file.text HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(server.header(0, "x-amz-content-sha256"),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(server.header(0, "Authorization"),
            std::string(kCredential) +
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  EXPECT_NE(server.requests()[0].find("\r\n\r\nWelcome to Amazon S3."), std::string::npos);
}

TEST(S3Signing, QueryWithEmptyValueMatchesAwsLifecycleExample) {
  // GET /?lifecycle: curl 7.88 signs the query as written, so it must be "lifecycle=".
  LoopbackServer server({{testing::http_reply(200, "<LifecycleConfiguration/>")}});
  S3Client client(example_options(server));
  S3Request request = example_request(S3Method::get, "");
  request.query = {{"lifecycle", ""}};
  ASSERT_TRUE(client.perform(request).ok());
  EXPECT_EQ(server.requests()[0].rfind("GET /?lifecycle= HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(server.header(0, "Authorization"),
            std::string(kCredential) +
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(S3Signing, SortedQueryMatchesAwsListObjectsExample) {
  // Parameters given out of order are sent sorted, as the signature requires.
  LoopbackServer server({{testing::http_reply(200, "<ListBucketResult/>")}});
  S3Client client(example_options(server));
  S3Request request = example_request(S3Method::get, "");
  request.query = {{"prefix", "J"}, {"max-keys", "2"}};
  ASSERT_TRUE(client.perform(request).ok());
  EXPECT_EQ(server.requests()[0].rfind("GET /?max-keys=2&prefix=J HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(server.header(0, "Authorization"),
            std::string(kCredential) +
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(S3Signing, SessionTokenIsSentAndSigned) {
  LoopbackServer server({{testing::http_reply(200, "x")}});
  S3ClientOptions options = example_options(server);
  options.settings.credentials.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
  S3Client client(options);
  ASSERT_TRUE(client.perform(example_request(S3Method::get, "test.txt")).ok());
  EXPECT_EQ(server.header(0, "x-amz-security-token"), "FQoGZXIvYXdzEXAMPLETOKEN");
  EXPECT_NE(server.header(0, "Authorization")
                .find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos);
}

TEST(S3Signing, PathStyleForOtherEndpointsAndNoSignatureWithoutCredentials) {
  LoopbackServer server({{testing::http_reply(200, "x")}});
  S3ClientOptions options;
  options.settings.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  S3Client client(options);
  ASSERT_TRUE(client.perform(example_request(S3Method::get, "a b/c+d.jpg")).ok());
  EXPECT_EQ(server.requests()[0].rfind("GET /examplebucket/a%20b/c%2Bd.jpg HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(server.header(0, "Authorization"), "");
}

}  // namespace
}  // namespace imagenet
