// An S3 client for many small objects at once: requests signed with SigV4 by libcurl, many
// transfers in flight on one thread through libcurl's multi interface (connections kept and
// reused), each retried with backoff and jitter on transient failures (retry_policy.h), every
// attempt counted. Works with AWS and with S3-compatible stores (an endpoint, path style).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "imagenet/s3/aws_config.h"
#include "imagenet/s3/retry_policy.h"
#include "imagenet/s3/s3_xml.h"

namespace imagenet {

struct S3ClientOptions {
  S3Settings settings;
  /// Transfers at once; also the connections kept open for reuse. A request takes about one
  /// round trip (20-30 ms on S3 before the first byte), so a loader at N images/s needs about
  /// N x 0.03 in flight.
  int max_in_flight = 64;
  RetryPolicy retry;
  double connect_timeout_s = 5;
  /// A transfer that moves less than 1 KB/s for this long is abandoned (and retried).
  double stall_timeout_s = 30;
  /// Test hooks. `connect_to`: a libcurl CONNECT_TO entry ("HOST:PORT:ADDRESS:PORT") that sends
  /// the connections of a host name elsewhere; `fixed_amz_date`: sign with this x-amz-date
  /// (AWS's worked examples). Never set in a real run.
  std::string connect_to;
  std::string fixed_amz_date;
};

enum class S3Method { get, head, put };

struct S3Request {
  S3Method method = S3Method::get;
  std::string bucket;
  std::string key;  ///< "" for requests on the bucket (ListObjectsV2)
  std::vector<std::pair<std::string, std::string>> query;
  /// A byte range of a GET, both ends included; -1: the whole object.
  int64_t range_first = -1;
  int64_t range_last = -1;
  std::string body;  ///< of a PUT
  /// Further headers (Content-Type, ...); they are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Attempts in all for this request; 0: the client's retry policy.
  int max_attempts = 0;
  /// Attempts in all while nothing answers (refused, unreachable, timed out); 0: max_attempts.
  /// A start-of-run check gives up on a dead endpoint sooner than on a busy one.
  int max_unanswered_attempts = 0;
};

struct S3Response {
  long status = 0;  ///< HTTP status of the last attempt (0: no answer)
  std::string body;
  std::string etag;  ///< without quotes
  int64_t content_length = -1;
  int64_t object_size = -1;  ///< the object's whole size (from Content-Range for ranges)
  std::string last_modified;
  std::string bucket_region;  ///< x-amz-bucket-region, when the store says
  int attempts = 0;
  S3Failure failure = S3Failure::none;
  std::string error;    ///< what went wrong with the last attempt; never holds a credential
  std::string s3_code;  ///< the S3 error code of the last answer ("NoSuchKey")
  double seconds = 0;   ///< from submission to the end of the last attempt

  bool ok() const { return failure == S3Failure::none; }
};

/// Counters since the client was made (or since stats() was last asked to reset).
struct S3Stats {
  int64_t requests = 0;  ///< finished, successfully or not
  int64_t attempts = 0;
  int64_t failed = 0;  ///< requests that failed after their last attempt
  int64_t bytes_received = 0;
  int64_t bytes_sent = 0;
  /// Retries by the failure that caused them, indexed by S3Failure.
  std::array<int64_t, 8> retries_by_failure{};

  int64_t retries() const;
  /// "503 SlowDown 10, connection failed or reset 2" ("" without retries).
  std::string retry_breakdown() const;
  /// "12 retries (503 SlowDown 10, connection failed or reset 2)", or "no retries".
  std::string describe_retries() const;
};

class S3Client {
 public:
  explicit S3Client(S3ClientOptions options);
  /// Drops transfers still in flight; their callbacks are not called.
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  /// Called once per request, on the client's transfer thread: keep it short (hand the
  /// response to another thread).
  using Callback = std::function<void(S3Response&& response)>;

  /// Starts `request` (thread-safe). Retries happen inside; `done` gets the final outcome.
  void submit(S3Request request, Callback done);
  /// submit() with the outcome as a future: requests started together are in flight together.
  std::future<S3Response> start(S3Request request);
  /// start() and wait.
  S3Response perform(S3Request request);

  // Conveniences that throw (throw_s3_failure) when the request fails.

  std::string get_object(const std::string& bucket, const std::string& key);
  /// Bytes [offset, offset + length) of an object.
  std::string get_range(const std::string& bucket, const std::string& key, int64_t offset,
                        int64_t length);
  /// The object's size and ETag, or nullopt when it does not exist.
  std::optional<S3Object> head_object(const std::string& bucket, const std::string& key);
  /// Writes an object (Content-MD5 sent, so the store checks the bytes); returns its ETag.
  std::string put_object(const std::string& bucket, const std::string& key, std::string body,
                         const std::string& content_type = "application/octet-stream");
  /// One page of ListObjectsV2.
  S3ListPage list_page(const std::string& bucket, const std::string& prefix,
                       const std::string& delimiter, const std::string& continuation_token,
                       int max_keys = 1000);
  /// Every object under `prefix` (all pages); with a delimiter, `common_prefixes` gets the
  /// "folders" one level down.
  std::vector<S3Object> list_objects(const std::string& bucket, const std::string& prefix,
                                     const std::string& delimiter = "",
                                     std::vector<std::string>* common_prefixes = nullptr);
  /// The first request of a run: lists one key under `prefix` with few attempts, so that
  /// wrong credentials, a missing bucket or an unreachable endpoint are a UsageError within
  /// seconds.
  void check_access(const std::string& bucket, const std::string& prefix);

  S3Stats stats() const;
  const S3ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Throws the error for a request that failed: UsageError for what the user fixes (credentials
/// refused, no such bucket, the wrong region, an endpoint that cannot be reached), naming the
/// bucket and the endpoint; RuntimeError otherwise (a missing object, a store that kept
/// failing), with the attempts made and how long they took.
[[noreturn]] void throw_s3_failure(const S3Response& response, const S3Request& request,
                                   const S3Settings& settings);

/// "GET s3://bucket/key" for messages.
std::string describe_s3_request(const S3Request& request);

}  // namespace imagenet
