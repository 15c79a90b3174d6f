// `s3://bucket/prefix` locations and the URI encoding S3 signs (SigV4's rules: every byte but
// A-Z a-z 0-9 - _ . ~ is %XX-encoded, '/' kept in object paths).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imagenet {

/// A bucket and a key prefix: `s3://bucket/train/n01440764` is {"bucket", "train/n01440764"}.
/// The prefix has no leading or trailing '/' ("" for the whole bucket).
struct S3Uri {
  std::string bucket;
  std::string prefix;

  /// `s3://bucket/prefix` again.
  std::string str() const;
  /// The key of `name` below the prefix: prefix + "/" + name (name alone for an empty prefix).
  std::string key(std::string_view name) const;
  /// The location one level down: s3://bucket/prefix/name.
  S3Uri child(std::string_view name) const;
};

/// True when `location` starts with "s3://" (a data_root, --src or --dst that is in S3).
bool is_s3_uri(std::string_view location);

/// Parses `s3://bucket[/prefix]`. Throws UsageError naming `what` (a flag or key) when the text
/// is not such a URI or the bucket name is not one S3 allows (3-63 characters of a-z 0-9 . -).
S3Uri parse_s3_uri(const std::string& location, std::string_view what = "location");

/// SigV4's URI encoding of `text`; '/' stays as it is when `keep_slash` (object paths).
std::string s3_uri_encode(std::string_view text, bool keep_slash);

/// Query parameters as S3 signs them: sorted by name, names and values encoded, every
/// parameter written `name=value` even when the value is empty (curl 7.88 signs the query as
/// given, so "?versioning" would be signed wrongly; "?versioning=" is right).
std::string s3_query_string(std::vector<std::pair<std::string, std::string>> parameters);

}  // namespace imagenet
