// Where S3 requests go and whom they are signed as, found the way the AWS tools find it:
// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else from the
// profile (AWS_PROFILE, default "default") in ~/.aws/credentials or ~/.aws/config; the region
// from AWS_REGION, AWS_DEFAULT_REGION or the profile; the endpoint from an explicit option,
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile's endpoint_url, else AWS's own.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace imagenet {

/// A signing identity. `source` says where it came from ("environment variables",
/// "profile 'default' in /root/.aws/credentials") for error messages; it never holds a secret.
struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< temporary credentials (sent as x-amz-security-token)
  std::string source;

  bool empty() const { return access_key_id.empty(); }
};

/// How bucket names go into URLs: in the host (AWS's default) or in the path (most
/// S3-compatible stores, and buckets whose names are not DNS labels).
enum class S3AddressingStyle { automatic, path, virtual_host };

/// Everything a client needs to reach a bucket.
struct S3Settings {
  std::string endpoint;  ///< scheme://host[:port], no trailing '/'
  std::string region = "us-east-1";
  S3AddressingStyle addressing = S3AddressingStyle::automatic;
  S3Credentials credentials;

  /// True when `bucket` goes into the path of the URL rather than into the host name.
  bool path_style_for(std::string_view bucket) const;
};

/// What the command line or the config asked for; empty fields are found as the AWS tools do.
struct S3SettingsRequest {
  std::string endpoint;  ///< s3_endpoint: an S3-compatible store (http://host:port)
  std::string region;
  std::string profile;  ///< an explicit profile wins over the credentials in the environment
  S3AddressingStyle addressing = S3AddressingStyle::automatic;
};

/// Reads an environment variable (tests pass a map instead of the process's environment).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process's environment.
EnvLookup process_environment();

/// The sections of an AWS config or credentials file: section name -> key -> value. Keys are
/// lower case; a nested block (`s3 =` followed by indented `key = value` lines) becomes
/// "s3.key". Lines starting with '#' or ';' are comments. Throws UsageError naming the file and
/// line of a line that is neither a section, a key, a comment nor blank.
using AwsIniFile = std::map<std::string, std::map<std::string, std::string>>;
AwsIniFile parse_aws_ini(std::string_view text, const std::string& path);

/// Resolves the endpoint, region, addressing style and credentials. Throws UsageError when a
/// profile named explicitly (option or AWS_PROFILE) does not exist, when a profile or the
/// environment holds half a key pair, or when an endpoint is not http(s)://host[:port].
/// Finding no credentials at all is not an error (public buckets are read unsigned).
S3Settings resolve_s3_settings(const S3SettingsRequest& request,
                               const EnvLookup& env = process_environment());

/// "endpoint http://127.0.0.1:4569 (region us-east-1)" for messages.
std::string describe_endpoint(const S3Settings& settings);

}  // namespace imagenet
