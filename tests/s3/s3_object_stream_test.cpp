// Tests s3/s3_object_stream.h against a scripted loopback server: the object comes back whole
// from its ranged chunks; a chunk of another version of the object, or a short one, is an error.
#include "imagenet/s3/s3_object_stream.h"

#include <gtest/gtest.h>

#include "imagenet/util/error.h"
#include "loopback_server.h"

namespace imagenet {
namespace {

using testing::http_reply;
using testing::LoopbackServer;

std::string part(const std::string& body, int64_t first, int64_t total, const char* etag) {
  return http_reply(206, body,
                    "Content-Range: bytes " + std::to_string(first) + "-" +
                        std::to_string(first + body.size() - 1) + "/" + std::to_string(total) +
                        "\r\nETag: \"" + etag + "\"\r\n");
}

S3ClientOptions options_for(const LoopbackServer& server) {
  S3ClientOptions options;
  options.settings.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  options.retry.base_delay_s = 0.001;
  return options;
}

std::string read_all(S3ObjectStream& stream, size_t step) {
  std::string out;
  std::vector<uint8_t> buffer(step);
  while (size_t n = stream.read(buffer.data(), buffer.size()))
    out.append(reinterpret_cast<const char*>(buffer.data()), n);
  return out;
}

TEST(S3ObjectStream, ReadsAnObjectInRangedChunks) {
  // One chunk in flight at a time, so the script's order is the request order.
  LoopbackServer server(
      {{part("0123", 0, 10, "e1")}, {part("4567", 4, 10, "e1")}, {part("89", 8, 10, "e1")}});
  S3Client client(options_for(server));
  S3ObjectStream stream(client, "bucket", "shard.tar", 10, {4, 1});
  EXPECT_EQ(read_all(stream, 3), "0123456789");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(server.header(0, "Range"), "bytes=0-3");
  EXPECT_EQ(server.header(1, "Range"), "bytes=4-7");
  EXPECT_EQ(server.header(2, "Range"), "bytes=8-9");
}

TEST(S3ObjectStream, AnotherVersionMidwayIsAnError) {
  LoopbackServer server({{part("0123", 0, 8, "e1")}, {part("ABCD", 4, 8, "e2")}});
  S3Client client(options_for(server));
  S3ObjectStream stream(client, "bucket", "shard.tar", 8, {4, 1});
  try {
    read_all(stream, 4);
    ADD_FAILURE() << "a stream of two versions was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("s3://bucket/shard.tar changed while it was read"),
              std::string::npos)
        << e.what();
  }
}

TEST(S3ObjectStream, AShortChunkIsAnError) {
  // The listing said 8 bytes; the object now has 6.
  LoopbackServer server({{part("0123", 0, 6, "e1")}, {part("45", 4, 6, "e1")}});
  S3Client client(options_for(server));
  S3ObjectStream stream(client, "bucket", "shard.tar", 8, {4, 1});
  EXPECT_THROW(read_all(stream, 4), RuntimeError);
}

}  // namespace
}  // namespace imagenet
