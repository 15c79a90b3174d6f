// Implements curl_transfer.h. Signing is libcurl's (CURLOPT_AWS_SIGV4, since 7.75): it signs
// the host, x-amz-date, and every header set here, over the path and query exactly as the URL
// gives them, so the URL is built already encoded and sorted (s3_uri.h).
#include "curl_transfer.h"

#include <algorithm>
#include <cstring>

#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"

namespace imagenet::s3_detail {
namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  transfer->response.body.append(data, size * count);
  return size * count;
}

size_t on_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string& body = transfer->request.body;
  const size_t n = std::min(size * count, body.size() - transfer->upload_offset);
  std::memcpy(buffer, body.data() + transfer->upload_offset, n);
  transfer->upload_offset += n;
  return n;
}

int64_t parse_int(const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  return end == text.c_str() ? -1 : value;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  S3Response& response = transfer->response;
  const std::string line(data, size * count);
  if (str_starts_with(line, "HTTP/")) {  // a new answer (after 100 Continue): forget the last
    response.etag.clear();
    response.content_length = response.object_size = -1;
    response.last_modified.clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  const std::string name = str_to_lower(line.substr(0, colon));
  const std::string value = str_trim(line.substr(colon + 1));
  if (name == "etag") {
    response.etag = value;
    if (response.etag.size() >= 2 && response.etag.front() == '"')
      response.etag = response.etag.substr(1, response.etag.size() - 2);
  } else if (name == "content-length") {
    response.content_length = parse_int(value);
    if (response.content_length > 0 && transfer->request.method == S3Method::get)
      response.body.reserve(static_cast<size_t>(response.content_length));
  } else if (name == "content-range") {  // "bytes 0-9/12345"
    const size_t slash = value.rfind('/');
    if (slash != std::string::npos) response.object_size = parse_int(value.substr(slash + 1));
  } else if (name == "last-modified") {
    response.last_modified = value;
  } else if (name == "x-amz-bucket-region") {
    response.bucket_region = value;
  }
  return size * count;
}

S3Transport transport_of(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return S3Transport::ok;
    case CURLE_COULDNT_CONNECT:
      return S3Transport::connect_failed;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return S3Transport::resolve_failed;
    case CURLE_OPERATION_TIMEDOUT:
      return S3Transport::timeout;
    case CURLE_PARTIAL_FILE:
      return S3Transport::partial_body;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return S3Transport::reset;
    default:
      return S3Transport::other;
  }
}

void append_header(curl_slist*& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list, line.c_str());
  IMAGENET_CHECK(grown != nullptr, "curl_slist_append failed (out of memory)");
  list = grown;
}

}  // namespace

Transfer::~Transfer() {
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
}

std::string s3_request_url(const S3Settings& settings, const S3Request& request) {
  const size_t scheme_end = settings.endpoint.find("://") + 3;
  std::string url;
  if (settings.path_style_for(request.bucket)) {
    url = str_cat(settings.endpoint, "/", request.bucket);
    if (!request.key.empty()) url += "/" + s3_uri_encode(request.key, true);
  } else {
    url = str_cat(settings.endpoint.substr(0, scheme_end), request.bucket, ".",
                  settings.endpoint.substr(scheme_end), "/", s3_uri_encode(request.key, true));
  }
  if (!request.query.empty()) url += "?" + s3_query_string(request.query);
  return url;
}

void prepare_attempt(Transfer& transfer, const S3ClientOptions& options) {
  CURL* easy = transfer.easy;
  const S3Request& request = transfer.request;
  const S3Settings& settings = options.settings;
  curl_easy_reset(easy);
  transfer.response = S3Response{};
  transfer.upload_offset = 0;
  transfer.error_buffer[0] = '\0';
  curl_slist_free_all(transfer.headers);
  transfer.headers = nullptr;

  curl_easy_setopt(easy, CURLOPT_URL, s3_request_url(settings, request).c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
  curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);  // keys may hold "../": send them as they are
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 128L * 1024);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "imagenet_train/" IMAGENET_VERSION);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout_s * 1000));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(options.stall_timeout_s)));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  if (!options.connect_to.empty()) {
    if (!transfer.connect_to) append_header(transfer.connect_to, options.connect_to);
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, transfer.connect_to);
  }

  // Signing: libcurl computes SigV4 over the method, path, query and the headers below.
  if (!settings.credentials.empty()) {
    const std::string provider = str_cat("aws:amz:", settings.region, ":s3");
    curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, provider.c_str());
    curl_easy_setopt(easy, CURLOPT_USERNAME, settings.credentials.access_key_id.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, settings.credentials.secret_access_key.c_str());
    if (!settings.credentials.session_token.empty())
      append_header(transfer.headers,
                    "x-amz-security-token: " + settings.credentials.session_token);
  }
  if (!options.fixed_amz_date.empty())
    append_header(transfer.headers, "x-amz-date: " + options.fixed_amz_date);
  if (request.range_first >= 0)
    append_header(transfer.headers,
                  str_cat("Range: bytes=", request.range_first, "-", request.range_last));
  for (const auto& [name, value] : request.headers)
    append_header(transfer.headers, str_cat(name, ": ", value));
  append_header(transfer.headers, "x-amz-content-sha256: " + transfer.payload_hash);

  switch (request.method) {
    case S3Method::get:
      break;
    case S3Method::head:
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
      break;
    case S3Method::put:
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_upload);
      curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      // Bodies over 1 MB get "Expect: 100-continue"; send them at once instead of waiting a
      // round trip. (Removing the header with "Expect:" would get it signed, empty, and S3
      // would refuse the signature: tests/s3/s3_signing_test.cpp.)
      curl_easy_setopt(easy, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
      break;
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);
}

void read_attempt_outcome(Transfer& transfer, CURLcode result) {
  S3Response& response = transfer.response;
  const S3Method method = transfer.request.method;
  curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &response.status);
  const S3Transport transport = transport_of(result);
  const bool success = response.status >= 200 && response.status < 300;
  if (success && response.object_size < 0) response.object_size = response.content_length;
  if (!success && response.status >= 300) {
    const S3ErrorBody error = parse_s3_error(response.body);
    response.s3_code = error.code;
    if (response.s3_code.empty() && method == S3Method::head && response.status == 404)
      response.s3_code = "NotFound";
    if (!error.region.empty()) response.bucket_region = error.region;
    response.error = str_cat("HTTP ", response.status, error.code.empty() ? "" : " ", error.code,
                             error.message.empty() ? "" : ": ", error.message);
  }
  const bool complete = method == S3Method::head || response.content_length < 0 ||
                        static_cast<int64_t>(response.body.size()) == response.content_length;
  response.failure = classify_s3_attempt(transport, response.status, response.s3_code, complete);
  if (transport != S3Transport::ok) {
    response.error =
        str_cat(s3_failure_name(response.failure), ": ",
                transfer.error_buffer[0] ? transfer.error_buffer : curl_easy_strerror(result));
  } else if (response.failure == S3Failure::truncated) {
    response.error = str_cat("the body ended after ", response.body.size(), " of ",
                             response.content_length, " bytes");
  }
}

}  // namespace imagenet::s3_detail
