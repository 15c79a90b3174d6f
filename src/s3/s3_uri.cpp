// Implements s3/s3_uri.h.
#include "imagenet/s3/s3_uri.h"

#include <algorithm>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

bool valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  return name.front() != '.' && name.front() != '-' && name.back() != '.' && name.back() != '-';
}

std::string_view strip_slashes(std::string_view text) {
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return text;
}

}  // namespace

std::string S3Uri::str() const {
  return prefix.empty() ? str_cat("s3://", bucket) : str_cat("s3://", bucket, "/", prefix);
}

std::string S3Uri::key(std::string_view name) const {
  name = strip_slashes(name);
  if (prefix.empty()) return std::string(name);
  if (name.empty()) return prefix;
  return str_cat(prefix, "/", name);
}

S3Uri S3Uri::child(std::string_view name) const {
  return S3Uri{bucket, key(name)};
}

bool is_s3_uri(std::string_view location) {
  return location.substr(0, 5) == "s3://";
}

S3Uri parse_s3_uri(const std::string& location, std::string_view what) {
  IMAGENET_USAGE_CHECK(is_s3_uri(location), what, " '", location,
                       "' is not an S3 location: expected s3://bucket/prefix");
  std::string_view rest = std::string_view(location).substr(5);
  const size_t slash = rest.find('/');
  S3Uri uri;
  uri.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) uri.prefix = std::string(strip_slashes(rest.substr(slash)));
  IMAGENET_USAGE_CHECK(valid_bucket_name(uri.bucket), what, " '", location, "': '", uri.bucket,
                       "' is not a valid S3 bucket name (3-63 characters: lower-case letters, "
                       "digits, '.' and '-')");
  IMAGENET_USAGE_CHECK(uri.prefix.find("//") == std::string::npos, what, " '", location,
                       "' has an empty path segment ('//')");
  return uri;
}

std::string s3_uri_encode(std::string_view text, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string s3_query_string(std::vector<std::pair<std::string, std::string>> parameters) {
  for (auto& [name, value] : parameters) {
    name = s3_uri_encode(name, false);
    value = s3_uri_encode(value, false);
  }
  std::sort(parameters.begin(), parameters.end());
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace imagenet
