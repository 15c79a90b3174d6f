// Tests S3Client's retries and errors against a scripted loopback server: what is retried
// (503 SlowDown, 5xx, resets, bodies shorter than their Content-Length, stalls), what is not
// (404, 403), that every attempt is counted, and that errors name the bucket and endpoint and
// never a secret.
#include "imagenet/s3/s3_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "imagenet/util/error.h"
#include "loopback_server.h"

namespace imagenet {
namespace {

using testing::http_reply;
using testing::LoopbackServer;
using testing::ScriptedReply;

constexpr const char* kSecret = "do-not-print-this-secret";

std::string error_xml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><Resource>/b/k</Resource></Error>";
}

S3ClientOptions local_options(int port) {
  S3ClientOptions options;
  options.settings.endpoint = "http://127.0.0.1:" + std::to_string(port);
  options.settings.credentials = {"AKIDEXAMPLE", kSecret, "", "the test's settings"};
  options.retry.base_delay_s = 0.001;  // fast tests; the delays themselves: retry_policy_test
  options.retry.slow_down_base_delay_s = 0.001;
  options.retry.max_attempts = 4;
  return options;
}

/// The message of the exception `body` throws, checking its type.
template <typename Error, typename Body>
std::string message_of(Body body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception of the expected type";
  return "";
}

TEST(S3Client, RetriesSlowDownAndCountsEveryAttempt) {
  const std::string slow_down =
      http_reply(503, error_xml("SlowDown", "Please reduce your request rate."));
  LoopbackServer server({{slow_down}, {slow_down}, {http_reply(200, "hello")}});
  S3Client client(local_options(server.port()));
  EXPECT_EQ(client.get_object("bucket", "train/a.jpg"), "hello");
  const S3Stats stats = client.stats();
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(stats.requests, 1);
  EXPECT_EQ(stats.retries_by_failure[static_cast<int>(S3Failure::slow_down)], 2);
  EXPECT_EQ(stats.describe_retries(), "2 retries (503 SlowDown 2)");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3Client, RetriesABodyShorterThanItsContentLength) {
  // The answer promises 10 bytes, sends 4, and closes: a truncated object must not be taken.
  LoopbackServer server(
      {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123", ScriptedReply::close},
       {http_reply(200, "0123456789")}});
  S3Client client(local_options(server.port()));
  EXPECT_EQ(client.get_object("bucket", "k"), "0123456789");
  EXPECT_EQ(client.stats().retries_by_failure[static_cast<int>(S3Failure::truncated)], 1);
}

TEST(S3Client, RetriesAConnectionResetMidBody) {
  LoopbackServer server(
      {{"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial", ScriptedReply::reset},
       {http_reply(200, "whole")}});
  S3Client client(local_options(server.port()));
  EXPECT_EQ(client.get_object("bucket", "k"), "whole");
  const S3Stats stats = client.stats();
  EXPECT_EQ(stats.retries(), 1);
  EXPECT_EQ(stats.attempts, 2);
}

TEST(S3Client, RetriesAStalledTransfer) {
  S3ClientOptions options;
  LoopbackServer server(
      {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01", ScriptedReply::close, 3.0},
       {http_reply(200, "0123456789")}});
  options = local_options(server.port());
  options.stall_timeout_s = 1;
  S3Client client(options);
  EXPECT_EQ(client.get_object("bucket", "k"), "0123456789");
  EXPECT_EQ(client.stats().retries_by_failure[static_cast<int>(S3Failure::timeout)], 1);
}

TEST(S3Client, GivesUpAfterMaxAttemptsSayingWhatItTried) {
  LoopbackServer server({{http_reply(500, error_xml("InternalError",
                                                    "We encountered an "
                                                    "internal error."))}});
  S3Client client(local_options(server.port()));
  const std::string message =
      message_of<RuntimeError>([&] { client.get_object("bucket", "train/x.jpg"); });
  EXPECT_NE(message.find("GET s3://bucket/train/x.jpg"), std::string::npos) << message;
  EXPECT_NE(message.find("InternalError"), std::string::npos) << message;
  EXPECT_NE(message.find("4 attempts over"), std::string::npos) << message;
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_EQ(client.stats().failed, 1);
}

TEST(S3Client, MissingObjectIsNotRetried) {
  LoopbackServer server(
      {{http_reply(404, error_xml("NoSuchKey", "The specified key does not exist."))}});
  S3Client client(local_options(server.port()));
  const S3Response response = client.perform([] {
    S3Request request;
    request.bucket = "bucket";
    request.key = "gone.jpg";
    return request;
  }());
  EXPECT_EQ(response.failure, S3Failure::client);
  EXPECT_EQ(response.s3_code, "NoSuchKey");
  EXPECT_EQ(response.attempts, 1);
  const std::string message =
      message_of<RuntimeError>([&] { client.get_object("bucket", "gone.jpg"); });
  EXPECT_NE(message.find("s3://bucket/gone.jpg does not exist"), std::string::npos) << message;
  EXPECT_FALSE(client.head_object("bucket", "gone.jpg").has_value());
}

TEST(S3Client, RefusedCredentialsAreAUsageErrorWithoutTheSecret) {
  for (const char* code : {"InvalidAccessKeyId", "SignatureDoesNotMatch"}) {
    LoopbackServer server({{http_reply(403, error_xml(code, "refused"))}});
    S3Client client(local_options(server.port()));
    const std::string message =
        message_of<UsageError>([&] { client.check_access("my-bucket", "train"); });
    EXPECT_NE(message.find(code), std::string::npos) << message;
    EXPECT_NE(message.find("bucket 'my-bucket'"), std::string::npos) << message;
    EXPECT_NE(message.find("endpoint http://127.0.0.1:"), std::string::npos) << message;
    EXPECT_NE(message.find("the test's settings"), std::string::npos) << message;
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
    EXPECT_EQ(server.requests().size(), 1u);  // not retried
    // Nor is the secret on the wire: only the signature derived from it.
    EXPECT_EQ(server.requests()[0].find(kSecret), std::string::npos);
  }
}

TEST(S3Client, MissingBucketIsAUsageError) {
  LoopbackServer server(
      {{http_reply(404, error_xml("NoSuchBucket", "The specified bucket does not exist"))}});
  S3Client client(local_options(server.port()));
  const std::string message = message_of<UsageError>([&] { client.check_access("nope", ""); });
  EXPECT_NE(message.find("the bucket 'nope' does not exist at endpoint http://127.0.0.1:"),
            std::string::npos)
      << message;
}

TEST(S3Client, UnreachableEndpointIsAUsageErrorSayingHowLongItTried) {
  // A port nobody listens on: bind one, then close it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  ::close(fd);
  S3Client client(local_options(ntohs(address.sin_port)));
  const std::string message = message_of<UsageError>([&] { client.check_access("bucket", ""); });
  EXPECT_NE(message.find("cannot reach the S3 endpoint http://127.0.0.1:"), std::string::npos)
      << message;
  EXPECT_NE(message.find("4 attempts over"), std::string::npos) << message;
  EXPECT_EQ(client.stats().retries_by_failure[static_cast<int>(S3Failure::connection)], 3);
}

TEST(S3Client, RangedGetReportsTheObjectSize) {
  LoopbackServer server({{http_reply(206, "2345", "Content-Range: bytes 2-5/100\r\n")}});
  S3Client client(local_options(server.port()));
  S3Request request;
  request.bucket = "bucket";
  request.key = "shard.tar";
  request.range_first = 2;
  request.range_last = 5;
  const S3Response response = client.perform(request);
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.body, "2345");
  EXPECT_EQ(response.object_size, 100);
  EXPECT_EQ(server.header(0, "Range"), "bytes=2-5");
}

TEST(S3Client, ListsEveryPageWithTheContinuationTokenEncoded) {
  const std::string page1 =
      "<ListBucketResult><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>a+b/c=</NextContinuationToken>"
      "<Contents><Key>p/1.jpg</Key><Size>3</Size></Contents></ListBucketResult>";
  const std::string page2 =
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>p/2.jpg</Key><Size>4</Size></Contents></ListBucketResult>";
  LoopbackServer server({{http_reply(200, page1)}, {http_reply(200, page2)}});
  S3Client client(local_options(server.port()));
  const std::vector<S3Object> objects = client.list_objects("bucket", "p/");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[1].key, "p/2.jpg");
  EXPECT_EQ(objects[1].size, 4);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind("GET /bucket?list-type=2&max-keys=1000&prefix=p%2F HTTP", 0), 0u)
      << requests[0];
  EXPECT_EQ(requests[1].rfind("GET /bucket?continuation-token=a%2Bb%2Fc%3D&list-type=2&", 0), 0u)
      << requests[1];
}

TEST(S3Client, ManyRequestsInFlightAllComplete) {
  // 20 requests through 8 transfers at a time: each one completes, once.
  LoopbackServer server({{http_reply(200, "x")}});
  S3ClientOptions options = local_options(server.port());
  options.max_in_flight = 8;
  S3Client client(options);
  std::mutex mutex;
  std::condition_variable done;
  int finished = 0, good = 0;
  for (int i = 0; i < 20; ++i) {
    S3Request request;
    request.bucket = "bucket";
    request.key = "k" + std::to_string(i);
    client.submit(request, [&](S3Response&& response) {
      std::lock_guard<std::mutex> lock(mutex);
      ++finished;
      good += response.ok() && response.body == "x";
      done.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mutex);
  done.wait_for(lock, std::chrono::seconds(60), [&] { return finished == 20; });
  EXPECT_EQ(finished, 20);
  EXPECT_EQ(good, 20);
}

}  // namespace
}  // namespace imagenet
