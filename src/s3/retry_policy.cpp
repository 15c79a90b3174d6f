// Implements s3/retry_policy.h.
#include "imagenet/s3/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace imagenet {

S3Failure classify_s3_attempt(S3Transport transport, long http_status, std::string_view s3_code,
                              bool body_complete) {
  switch (transport) {
    case S3Transport::ok:
      break;
    case S3Transport::connect_failed:
    case S3Transport::resolve_failed:
    case S3Transport::reset:
      return S3Failure::connection;
    case S3Transport::timeout:
      return S3Failure::timeout;
    case S3Transport::partial_body:
      return S3Failure::truncated;
    case S3Transport::other:
      return S3Failure::other;
  }
  if (http_status == 503 && s3_code == "SlowDown") return S3Failure::slow_down;
  if (http_status == 429) return S3Failure::slow_down;
  if (http_status >= 500) return S3Failure::server;
  if (http_status == 400 && s3_code == "RequestTimeout") return S3Failure::server;
  if (http_status >= 300) return S3Failure::client;
  if (http_status < 200) return S3Failure::other;
  return body_complete ? S3Failure::none : S3Failure::truncated;
}

bool is_retryable(S3Failure failure) {
  switch (failure) {
    case S3Failure::slow_down:
    case S3Failure::server:
    case S3Failure::connection:
    case S3Failure::timeout:
    case S3Failure::truncated:
      return true;
    case S3Failure::none:
    case S3Failure::client:
    case S3Failure::other:
      return false;
  }
  return false;
}

const char* s3_failure_name(S3Failure failure) {
  switch (failure) {
    case S3Failure::none:
      return "ok";
    case S3Failure::slow_down:
      return "503 SlowDown";
    case S3Failure::server:
      return "server error";
    case S3Failure::connection:
      return "connection failed or reset";
    case S3Failure::timeout:
      return "timeout";
    case S3Failure::truncated:
      return "truncated body";
    case S3Failure::client:
      return "client error";
    case S3Failure::other:
      return "transfer error";
  }
  return "?";
}

double retry_delay_s(const RetryPolicy& policy, S3Failure failure, int attempt,
                     double unit_random) {
  const double base =
      failure == S3Failure::slow_down ? policy.slow_down_base_delay_s : policy.base_delay_s;
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const double full = std::min(policy.max_delay_s, base * std::ldexp(1.0, doublings));
  const double u = std::clamp(unit_random, 0.0, 1.0);
  return full / 2 + full / 2 * u;
}

}  // namespace imagenet
