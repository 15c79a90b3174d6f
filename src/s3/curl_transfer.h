// One S3 request as a libcurl easy handle: the URL, the headers SigV4 signs, the body in and
// out, and what an attempt's outcome means (private to src/s3).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <string>

#include "imagenet/s3/s3_client.h"

namespace imagenet::s3_detail {

using Clock = std::chrono::steady_clock;

struct Transfer {
  S3Request request;
  S3Client::Callback done;
  S3Response response;
  std::string payload_hash;  ///< x-amz-content-sha256 of the body
  int max_attempts = 1;
  int max_unanswered_attempts = 1;
  Clock::time_point submitted;
  Clock::time_point due;  ///< when a retry may start
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  size_t upload_offset = 0;
  char error_buffer[CURL_ERROR_SIZE] = {};

  ~Transfer();
};

/// The request's URL: endpoint, bucket (in the host or the path), encoded key, sorted query.
std::string s3_request_url(const S3Settings& settings, const S3Request& request);

/// Sets every option of `transfer.easy` for its next attempt and clears the last response.
void prepare_attempt(Transfer& transfer, const S3ClientOptions& options);

/// Reads the finished attempt's status and classifies it into transfer.response (failure,
/// error, s3_code).
void read_attempt_outcome(Transfer& transfer, CURLcode result);

}  // namespace imagenet::s3_detail
