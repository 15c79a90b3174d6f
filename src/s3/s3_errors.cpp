// Implements the messages of s3/s3_client.h: a failed request becomes the error a user can act
// on (UsageError: credentials, bucket, region, endpoint) or a RuntimeError that says what was
// tried. Messages name the bucket, the key and the endpoint, never a secret or a signature.
#include <cstdio>
#include <set>

#include "imagenet/s3/s3_client.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

const char* method_name(S3Method method) {
  switch (method) {
    case S3Method::get:
      return "GET";
    case S3Method::head:
      return "HEAD";
    case S3Method::put:
      return "PUT";
  }
  return "?";
}

std::string tried(const S3Response& response) {
  return str_printf("%d attempt%s over %.1f s", response.attempts,
                    response.attempts == 1 ? "" : "s", response.seconds);
}

std::string credentials_hint(const S3Settings& settings) {
  if (settings.credentials.empty())
    return "No credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
           "AWS_PROFILE with a profile in ~/.aws/credentials";
  return str_cat("The credentials came from ", settings.credentials.source,
                 ": check them (and that they may read this bucket)");
}

}  // namespace

int64_t S3Stats::retries() const {
  int64_t total = 0;
  for (int64_t n : retries_by_failure) total += n;
  return total;
}

std::string S3Stats::retry_breakdown() const {
  std::vector<std::string> parts;
  for (size_t i = 0; i < retries_by_failure.size(); ++i)
    if (retries_by_failure[i] > 0)
      parts.push_back(
          str_cat(s3_failure_name(static_cast<S3Failure>(i)), " ", retries_by_failure[i]));
  return str_join(parts, ", ");
}

std::string S3Stats::describe_retries() const {
  const int64_t total = retries();
  if (total == 0) return "no retries";
  return str_cat(total, total == 1 ? " retry (" : " retries (", retry_breakdown(), ")");
}

std::string describe_s3_request(const S3Request& request) {
  return str_cat(method_name(request.method), " s3://", request.bucket, "/", request.key);
}

void throw_s3_failure(const S3Response& response, const S3Request& request,
                      const S3Settings& settings) {
  const std::string what = describe_s3_request(request);
  const std::string where =
      str_cat("bucket '", request.bucket, "' at ", describe_endpoint(settings));
  const std::string& code = response.s3_code;

  // Nothing answered: a wrong endpoint, or the network.
  if (response.status == 0 &&
      (response.failure == S3Failure::connection || response.failure == S3Failure::timeout))
    throw UsageError(str_cat("cannot reach the S3 ", describe_endpoint(settings), " for bucket '",
                             request.bucket, "': ", response.error, " (", tried(response),
                             "). Check s3_endpoint / AWS_ENDPOINT_URL, and the network"));

  static const std::set<std::string> kCredentialCodes = {
      "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied",      "ExpiredToken",
      "InvalidToken",       "TokenRefreshRequired",  "AllAccessDisabled", "InvalidSecurity"};
  if (response.status == 403 && (kCredentialCodes.count(code) || code.empty()))
    throw UsageError(str_cat("S3 refused ", what, " (", where,
                             "): ", code.empty() ? "HTTP 403" : response.error, ". ",
                             credentials_hint(settings)));
  if (code == "RequestTimeTooSkewed")
    throw UsageError(str_cat("S3 refused ", what, " (", where,
                             "): this machine's clock is off by more than 15 minutes; fix the "
                             "time (timedatectl, chrony)"));
  if (code == "NoSuchBucket" || (request.key.empty() && response.status == 404))
    throw UsageError(str_cat("the bucket '", request.bucket, "' does not exist at ",
                             describe_endpoint(settings),
                             ". Check the name, the endpoint and the region"));
  if (!response.bucket_region.empty() && response.bucket_region != settings.region)
    throw UsageError(str_cat("the bucket '", request.bucket, "' is in region ",
                             response.bucket_region, ", not ", settings.region, ": set AWS_REGION=",
                             response.bucket_region, " (or s3_region) and try again"));
  if (response.status == 301 || code == "PermanentRedirect")
    throw UsageError(str_cat(what, " (", where,
                             ") was redirected: the bucket is in another "
                             "region; set AWS_REGION to it"));
  if (response.status == 404)
    throw RuntimeError(str_cat("s3://", request.bucket, "/", request.key, " does not exist (",
                               response.error, ", ", where, ")"));
  throw RuntimeError(str_cat(what, " failed (", where, "): ", response.error, "; ", tried(response),
                             is_retryable(response.failure)
                                 ? ", all transient failures: the store is "
                                   "overloaded or the network is failing"
                                 : ""));
}

}  // namespace imagenet
