// The XML S3 answers with: ListObjectsV2 pages and error documents, read with a real XML parser
// (expat), so escaped keys (&amp; &lt; &#x...;), UTF-8 and CDATA come out right.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace imagenet {

/// One object of a listing (or of a HEAD answer).
struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string etag;  ///< without its quotes; the hex MD5 of the body for simple uploads
  std::string last_modified;
};

/// One page of ListObjectsV2.
struct S3ListPage {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;  ///< with a delimiter: the "folders"
  bool is_truncated = false;
  std::string next_continuation_token;  ///< set when is_truncated
};

/// Parses a ListBucketResult. Throws RuntimeError saying what is wrong (not XML, cut off, not a
/// ListBucketResult, a truncated page without a continuation token, a bad Size), naming `what`
/// (e.g. "the listing of s3://bucket/train").
S3ListPage parse_list_objects_v2(std::string_view xml, const std::string& what);

/// The fields of an S3 error document (<Error><Code>...). All empty when the body is not one.
struct S3ErrorBody {
  std::string code;
  std::string message;
  std::string region;  ///< <Region> of a PermanentRedirect / AuthorizationHeaderMalformed
};

/// Reads an error document; never throws (a proxy's HTML page gives an empty S3ErrorBody).
S3ErrorBody parse_s3_error(std::string_view xml);

/// True when `etag` is the hex MD5 of the object's bytes (32 hex digits: a simple PUT without
/// SSE-KMS), false for multipart ETags ("...-12") and others.
bool etag_is_md5(std::string_view etag);

}  // namespace imagenet
