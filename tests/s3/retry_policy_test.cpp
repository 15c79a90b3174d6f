// Tests s3/retry_policy.h: which failures are retried, and the backoff's growth, cap and jitter
// bounds.
#include "imagenet/s3/retry_policy.h"

#include <gtest/gtest.h>

namespace imagenet {
namespace {

TEST(RetryPolicy, ClassifiesAttempts) {
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 200, "", true), S3Failure::none);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 206, "", true), S3Failure::none);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 200, "", false), S3Failure::truncated);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 503, "SlowDown", true), S3Failure::slow_down);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 429, "", true), S3Failure::slow_down);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 503, "ServiceUnavailable", true),
            S3Failure::server);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 500, "InternalError", true), S3Failure::server);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 400, "RequestTimeout", true), S3Failure::server);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 404, "NoSuchKey", true), S3Failure::client);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 403, "SignatureDoesNotMatch", true),
            S3Failure::client);
  EXPECT_EQ(classify_s3_attempt(S3Transport::ok, 301, "PermanentRedirect", true),
            S3Failure::client);
  EXPECT_EQ(classify_s3_attempt(S3Transport::reset, 0, "", false), S3Failure::connection);
  EXPECT_EQ(classify_s3_attempt(S3Transport::connect_failed, 0, "", false), S3Failure::connection);
  EXPECT_EQ(classify_s3_attempt(S3Transport::timeout, 200, "", false), S3Failure::timeout);
  EXPECT_EQ(classify_s3_attempt(S3Transport::partial_body, 200, "", false), S3Failure::truncated);
  EXPECT_EQ(classify_s3_attempt(S3Transport::other, 0, "", false), S3Failure::other);
}

TEST(RetryPolicy, RetriesOnlyWhatMayPass) {
  for (S3Failure f : {S3Failure::slow_down, S3Failure::server, S3Failure::connection,
                      S3Failure::timeout, S3Failure::truncated})
    EXPECT_TRUE(is_retryable(f)) << s3_failure_name(f);
  for (S3Failure f : {S3Failure::none, S3Failure::client, S3Failure::other})
    EXPECT_FALSE(is_retryable(f)) << s3_failure_name(f);
}

TEST(RetryPolicy, DelaysDoubleUpToTheCap) {
  RetryPolicy policy;
  policy.base_delay_s = 0.1;
  policy.max_delay_s = 1.0;
  // unit_random -> 1 gives the full delay, 0 half of it.
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 1, 1.0), 0.1);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 2, 1.0), 0.2);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 4, 1.0), 0.8);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 5, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 500, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 1, 0.0), 0.05);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::server, 5, 0.0), 0.5);
}

TEST(RetryPolicy, SlowDownBacksOffFromALongerBase) {
  RetryPolicy policy;
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::slow_down, 1, 1.0),
                   policy.slow_down_base_delay_s);
  EXPECT_GT(retry_delay_s(policy, S3Failure::slow_down, 1, 0.0),
            retry_delay_s(policy, S3Failure::connection, 1, 1.0));
}

TEST(RetryPolicy, JitterStaysWithinHalfToFullAndSpreads) {
  RetryPolicy policy;
  double low = 1e9, high = 0;
  for (int i = 0; i < 1000; ++i) {
    const double u = i / 1000.0;
    const double d = retry_delay_s(policy, S3Failure::timeout, 3, u);
    ASSERT_GE(d, 0.1);  // base 0.05 * 2^2 = 0.2: within [0.1, 0.2)
    ASSERT_LT(d, 0.2);
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_LT(low, 0.101);
  EXPECT_GT(high, 0.199);
  // Out-of-range draws are clamped, never a negative or unbounded wait.
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::timeout, 3, -5), 0.1);
  EXPECT_DOUBLE_EQ(retry_delay_s(policy, S3Failure::timeout, 3, 7), 0.2);
}

}  // namespace
}  // namespace imagenet
