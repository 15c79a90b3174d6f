// When an S3 request is tried again and how long to wait first: pure functions, so the policy
// is tested without a server. Transient failures (5xx, 503 SlowDown, connections refused or
// reset, stalls, bodies shorter than their Content-Length) are retried with exponential backoff
// and jitter; answers that another try cannot change (403, 404, a malformed request) are not.
#pragma once

#include <string>
#include <string_view>

namespace imagenet {

/// What went wrong with one attempt, as far as retrying is concerned.
enum class S3Failure {
  none,        ///< a 2xx answer with its whole body
  slow_down,   ///< 503 SlowDown (or 429): the store asks for fewer requests per second
  server,      ///< another 5xx, or 400 RequestTimeout
  connection,  ///< refused, reset, or closed before an answer (also DNS failures)
  timeout,     ///< no connection within the connect timeout, or the transfer stalled
  truncated,   ///< the body ended before its Content-Length
  client,      ///< a 4xx that no retry changes (NoSuchKey, AccessDenied, ...)
  other,       ///< anything else (TLS, out of memory): not retried
};

/// The network-level outcome of an attempt, as the client saw it (libcurl's codes mapped).
enum class S3Transport { ok, connect_failed, resolve_failed, reset, timeout, partial_body, other };

/// Classifies one attempt from its transport outcome, HTTP status, the S3 error code of the
/// body (e.g. "SlowDown", "" when none) and whether the body had its announced length.
S3Failure classify_s3_attempt(S3Transport transport, long http_status, std::string_view s3_code,
                              bool body_complete);

/// True for the failures worth another attempt.
bool is_retryable(S3Failure failure);

/// "503 SlowDown", "connection reset", ... for counters and messages.
const char* s3_failure_name(S3Failure failure);

struct RetryPolicy {
  /// Attempts in all, the first included.
  int max_attempts = 8;
  /// The delay before the second attempt; each further one doubles it, up to max_delay_s.
  double base_delay_s = 0.05;
  double max_delay_s = 5.0;
  /// SlowDown starts from a longer delay: the store asked for less traffic.
  double slow_down_base_delay_s = 0.5;
};

/// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed with
/// `failure`: d = min(max, base * 2^(attempt-1)), then "equal jitter": d/2 + d/2 * unit_random,
/// where unit_random in [0, 1) is drawn by the caller. So the wait is within [d/2, d), and many
/// clients that failed together do not come back together.
double retry_delay_s(const RetryPolicy& policy, S3Failure failure, int attempt, double unit_random);

}  // namespace imagenet
