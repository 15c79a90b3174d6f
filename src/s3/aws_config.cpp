// Implements s3/aws_config.h: the AWS tools' order of precedence for credentials, region and
// endpoint, and their INI files.
#include "imagenet/s3/aws_config.h"

#include <cstdlib>
#include <sstream>
#include <vector>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {
namespace {

std::string env_or(const EnvLookup& env, const std::string& name, const std::string& fallback) {
  std::optional<std::string> value = env(name);
  return value && !value->empty() ? *value : fallback;
}

/// A parsed file, or an empty one when it does not exist.
AwsIniFile read_ini_if_present(const std::string& path) {
  if (path.empty() || !path_exists(path)) return {};
  return parse_aws_ini(read_file(path), path);
}

/// The section of `profile` in ~/.aws/config: "[default]" or "[profile NAME]".
const std::map<std::string, std::string>* config_section(const AwsIniFile& config,
                                                         const std::string& profile) {
  for (const std::string& name : {"profile " + profile, profile == "default" ? profile : ""}) {
    auto it = config.find(name);
    if (!name.empty() && it != config.end()) return &it->second;
  }
  return nullptr;
}

std::string value_or_empty(const std::map<std::string, std::string>* section,
                           const std::string& key) {
  if (!section) return "";
  auto it = section->find(key);
  return it == section->end() ? "" : it->second;
}

/// The key pair of one section, or nullopt when it has none. Half a pair is a usage error.
std::optional<S3Credentials> credentials_in(const std::map<std::string, std::string>* section,
                                            const std::string& what) {
  const std::string id = value_or_empty(section, "aws_access_key_id");
  const std::string secret = value_or_empty(section, "aws_secret_access_key");
  if (id.empty() && secret.empty()) return std::nullopt;
  IMAGENET_USAGE_CHECK(!id.empty() && !secret.empty(), what, " has ",
                       id.empty() ? "aws_secret_access_key but no aws_access_key_id"
                                  : "aws_access_key_id but no aws_secret_access_key",
                       ": add the missing key (aws configure)");
  return S3Credentials{id, secret, value_or_empty(section, "aws_session_token"), what};
}

std::string normalize_endpoint(std::string endpoint, const std::string& origin) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const size_t scheme_end = endpoint.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : endpoint.substr(0, scheme_end);
  IMAGENET_USAGE_CHECK(scheme == "http" || scheme == "https", "the S3 endpoint '", endpoint,
                       "' (from ", origin, ") must start with http:// or https://");
  const std::string host = endpoint.substr(scheme_end + 3);
  IMAGENET_USAGE_CHECK(!host.empty() && host.find('/') == std::string::npos, "the S3 endpoint '",
                       endpoint, "' (from ", origin,
                       ") must be scheme://host[:port], without a path");
  return endpoint;
}

std::string profile_names(const AwsIniFile& credentials, const AwsIniFile& config) {
  std::vector<std::string> names;
  for (const auto& [name, _] : credentials) names.push_back(name);
  for (const auto& [name, _] : config)
    names.push_back(str_starts_with(name, "profile ") ? name.substr(8) : name);
  return names.empty() ? "none" : str_join(names, ", ");
}

}  // namespace

bool S3Settings::path_style_for(std::string_view bucket) const {
  if (addressing != S3AddressingStyle::automatic) return addressing == S3AddressingStyle::path;
  // Virtual hosts only where they work: AWS's endpoints, and names that are one DNS label (a
  // dotted name breaks the TLS certificate's wildcard).
  const bool aws = endpoint.find(".amazonaws.com") != std::string::npos;
  return !aws || bucket.find('.') != std::string_view::npos;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

AwsIniFile parse_aws_ini(std::string_view text, const std::string& path) {
  AwsIniFile file;
  std::string section, nested;  // nested: the key of an `s3 =` block being read
  std::istringstream lines{std::string(text)};
  std::string raw;
  for (int line_number = 1; std::getline(lines, raw); ++line_number) {
    const std::string line = str_trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (line.front() == '[') {
      IMAGENET_USAGE_CHECK(line.back() == ']', path, ":", line_number,
                           ": a section header must end with ']': ", line);
      section = str_trim(line.substr(1, line.size() - 2));
      nested.clear();
      file[section];
      continue;
    }
    const size_t equals = line.find('=');
    IMAGENET_USAGE_CHECK(equals != std::string::npos && equals > 0, path, ":", line_number,
                         ": expected 'key = value' or '[section]'");
    IMAGENET_USAGE_CHECK(!section.empty(), path, ":", line_number,
                         ": a key before the first [section]");
    const std::string key = str_to_lower(str_trim(line.substr(0, equals)));
    const std::string value = str_trim(line.substr(equals + 1));
    if (indented && !nested.empty()) {
      file[section][nested + "." + key] = value;
      continue;
    }
    nested = value.empty() ? key : "";
    file[section][key] = value;
  }
  return file;
}

S3Settings resolve_s3_settings(const S3SettingsRequest& request, const EnvLookup& env) {
  const std::string home = env_or(env, "HOME", "");
  const std::string credentials_path =
      env_or(env, "AWS_SHARED_CREDENTIALS_FILE", home.empty() ? "" : home + "/.aws/credentials");
  const std::string config_path =
      env_or(env, "AWS_CONFIG_FILE", home.empty() ? "" : home + "/.aws/config");
  const AwsIniFile credentials_file = read_ini_if_present(credentials_path);
  const AwsIniFile config_file = read_ini_if_present(config_path);

  const bool profile_named = !request.profile.empty() || !env_or(env, "AWS_PROFILE", "").empty();
  const std::string profile =
      !request.profile.empty()
          ? request.profile
          : env_or(env, "AWS_PROFILE", env_or(env, "AWS_DEFAULT_PROFILE", "default"));
  auto credentials_section = credentials_file.find(profile);
  const std::map<std::string, std::string>* in_credentials =
      credentials_section == credentials_file.end() ? nullptr : &credentials_section->second;
  const std::map<std::string, std::string>* in_config = config_section(config_file, profile);
  IMAGENET_USAGE_CHECK(!profile_named || in_credentials || in_config, "the AWS profile '", profile,
                       "' is in neither ", credentials_path, " nor ", config_path,
                       " (profiles there: ", profile_names(credentials_file, config_file),
                       "). Set AWS_PROFILE to one of them, or unset it");

  S3Settings settings;
  // Credentials: the environment, unless a profile was named on the command line; then the
  // profile in the credentials file, then in the config file.
  const std::string env_id = env_or(env, "AWS_ACCESS_KEY_ID", "");
  const std::string env_secret = env_or(env, "AWS_SECRET_ACCESS_KEY", "");
  if (request.profile.empty() && (!env_id.empty() || !env_secret.empty())) {
    IMAGENET_USAGE_CHECK(!env_id.empty() && !env_secret.empty(), "the environment has ",
                         env_id.empty() ? "AWS_SECRET_ACCESS_KEY but no AWS_ACCESS_KEY_ID"
                                        : "AWS_ACCESS_KEY_ID but no AWS_SECRET_ACCESS_KEY",
                         ": set both, or neither to use the profile '", profile, "'");
    settings.credentials = {env_id, env_secret,
                            env_or(env, "AWS_SESSION_TOKEN", env_or(env, "AWS_SECURITY_TOKEN", "")),
                            "the environment (AWS_ACCESS_KEY_ID)"};
  } else if (auto found = credentials_in(
                 in_credentials, str_cat("profile '", profile, "' in ", credentials_path))) {
    settings.credentials = *found;
  } else if (auto found_in_config =
                 credentials_in(in_config, str_cat("profile '", profile, "' in ", config_path))) {
    settings.credentials = *found_in_config;
  } else {
    for (const char* key : {"credential_process", "sso_session", "sso_start_url", "role_arn"}) {
      IMAGENET_USAGE_CHECK(value_or_empty(in_config, key).empty(), "the AWS profile '", profile,
                           "' in ", config_path, " gets its credentials through ", key,
                           ", which imagenet_train does not run: export them first "
                           "(eval \"$(aws configure export-credentials --profile ",
                           profile, " --format env)\")");
    }
  }

  settings.region =
      !request.region.empty()
          ? request.region
          : env_or(env, "AWS_REGION",
                   env_or(env, "AWS_DEFAULT_REGION", value_or_empty(in_config, "region")));
  if (settings.region.empty()) settings.region = "us-east-1";

  std::string origin = "s3_endpoint";
  std::string endpoint = request.endpoint;
  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"AWS_ENDPOINT_URL_S3",
                                            env_or(env, "AWS_ENDPOINT_URL_S3", "")},
        {"AWS_ENDPOINT_URL", env_or(env, "AWS_ENDPOINT_URL", "")},
        {"endpoint_url of the profile", value_or_empty(in_config, "s3.endpoint_url")},
        {"endpoint_url of the profile", value_or_empty(in_config, "endpoint_url")}}) {
    if (!endpoint.empty()) break;
    endpoint = value;
    origin = name;
  }
  settings.endpoint = endpoint.empty() ? str_cat("https://s3.", settings.region, ".amazonaws.com")
                                       : normalize_endpoint(endpoint, origin);

  settings.addressing = request.addressing;
  const std::string style = value_or_empty(in_config, "s3.addressing_style");
  if (settings.addressing == S3AddressingStyle::automatic && style == "path")
    settings.addressing = S3AddressingStyle::path;
  if (settings.addressing == S3AddressingStyle::automatic && style == "virtual")
    settings.addressing = S3AddressingStyle::virtual_host;
  return settings;
}

std::string describe_endpoint(const S3Settings& settings) {
  return str_cat("endpoint ", settings.endpoint, " (region ", settings.region, ")");
}

}  // namespace imagenet
