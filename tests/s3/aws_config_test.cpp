// Tests s3/aws_config.h: the AWS tools' files (profiles, comments, nested s3 blocks, missing
// keys) and the order of precedence of environment, profile and defaults.
#include "imagenet/s3/aws_config.h"

#include <gtest/gtest.h>

#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;
using testing::write_text;

const char* kCredentials = R"(# written by aws configure
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default/secret+key

; a second profile
[training]
aws_access_key_id=AKIATRAINING
aws_secret_access_key=training-secret
aws_session_token = session-token

[half]
aws_access_key_id = AKIAHALF
)";

const char* kConfig = R"([default]
region = eu-west-1

[profile training]
region = us-west-2
s3 =
  addressing_style = path
  endpoint_url = http://minio.local:9000
[profile sso]
sso_session = corp
region = us-east-2
)";

/// An environment holding only `values` plus HOME = dir.
EnvLookup env_of(const TempDir& dir, std::map<std::string, std::string> values) {
  values["HOME"] = dir.path();
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

struct AwsFiles {
  TempDir dir;
  AwsFiles() {
    write_text(dir.file(".aws/credentials"), kCredentials);
    write_text(dir.file(".aws/config"), kConfig);
  }
};

std::string usage_error(const std::function<void()>& body) {
  try {
    body();
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UsageError";
  return "";
}

TEST(AwsConfig, ParsesIniFiles) {
  const AwsIniFile file = parse_aws_ini(kConfig, "config");
  EXPECT_EQ(file.at("default").at("region"), "eu-west-1");
  EXPECT_EQ(file.at("profile training").at("s3.addressing_style"), "path");
  EXPECT_EQ(file.at("profile training").at("s3.endpoint_url"), "http://minio.local:9000");
  EXPECT_EQ(file.at("profile sso").at("region"), "us-east-2");
  const AwsIniFile credentials = parse_aws_ini(kCredentials, "credentials");
  EXPECT_EQ(credentials.at("default").at("aws_secret_access_key"), "default/secret+key");
  EXPECT_EQ(credentials.at("training").count("# a second profile"), 0u);
  const std::string message =
      usage_error([] { parse_aws_ini("[default]\nregion eu-west-1\n", "/home/u/.aws/config"); });
  EXPECT_NE(message.find("/home/u/.aws/config:2: expected 'key = value'"), std::string::npos)
      << message;
  EXPECT_NE(usage_error([] { parse_aws_ini("key = v\n", "f"); }).find("before the first"),
            std::string::npos);
}

TEST(AwsConfig, EnvironmentWinsOverTheDefaultProfile) {
  AwsFiles files;
  const S3Settings s =
      resolve_s3_settings({}, env_of(files.dir, {{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                                 {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                                                 {"AWS_SESSION_TOKEN", "env-token"}}));
  EXPECT_EQ(s.credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(s.credentials.session_token, "env-token");
  EXPECT_EQ(s.credentials.source, "the environment (AWS_ACCESS_KEY_ID)");
  EXPECT_EQ(s.region, "eu-west-1");  // the default profile's
  EXPECT_EQ(s.endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(s.path_style_for("bucket"));
  EXPECT_TRUE(s.path_style_for("dotted.bucket"));
}

TEST(AwsConfig, ReadsTheNamedProfile) {
  AwsFiles files;
  const S3Settings s = resolve_s3_settings({}, env_of(files.dir, {{"AWS_PROFILE", "training"}}));
  EXPECT_EQ(s.credentials.access_key_id, "AKIATRAINING");
  EXPECT_EQ(s.credentials.secret_access_key, "training-secret");
  EXPECT_EQ(s.credentials.session_token, "session-token");
  EXPECT_EQ(s.credentials.source, "profile 'training' in " + files.dir.file(".aws/credentials"));
  EXPECT_EQ(s.region, "us-west-2");
  EXPECT_EQ(s.endpoint, "http://minio.local:9000");
  EXPECT_TRUE(s.path_style_for("bucket"));
  // The source names where the keys came from, never the keys.
  EXPECT_EQ(s.credentials.source.find("secret"), std::string::npos);
}

TEST(AwsConfig, RegionAndEndpointPrecedence) {
  AwsFiles files;
  S3SettingsRequest request;
  EXPECT_EQ(resolve_s3_settings(request, env_of(files.dir, {{"AWS_DEFAULT_REGION", "ap-south-1"}}))
                .region,
            "ap-south-1");
  EXPECT_EQ(resolve_s3_settings(request, env_of(files.dir, {{"AWS_DEFAULT_REGION", "ap-south-1"},
                                                            {"AWS_REGION", "sa-east-1"}}))
                .region,
            "sa-east-1");
  const S3Settings custom = resolve_s3_settings(
      request, env_of(files.dir, {{"AWS_ENDPOINT_URL", "http://127.0.0.1:4569/"}}));
  EXPECT_EQ(custom.endpoint, "http://127.0.0.1:4569");
  EXPECT_TRUE(custom.path_style_for("bucket"));
  request.endpoint = "http://10.0.0.1:9000";
  request.region = "local";
  const S3Settings explicit_one = resolve_s3_settings(
      request, env_of(files.dir, {{"AWS_ENDPOINT_URL", "http://127.0.0.1:4569"}}));
  EXPECT_EQ(explicit_one.endpoint, "http://10.0.0.1:9000");
  EXPECT_EQ(explicit_one.region, "local");
  request.endpoint = "ftp://x";
  EXPECT_NE(usage_error([&] {
              resolve_s3_settings(request, env_of(files.dir, {}));
            }).find("must start with http:// or https://"),
            std::string::npos);
  request.endpoint = "http://host:9000/path";
  EXPECT_NE(usage_error([&] {
              resolve_s3_settings(request, env_of(files.dir, {}));
            }).find("without a path"),
            std::string::npos);
}

TEST(AwsConfig, MissingPiecesAreClearErrors) {
  AwsFiles files;
  std::string message = usage_error([&] {
    resolve_s3_settings({}, env_of(files.dir, {{"AWS_PROFILE", "nope"}}));
  });
  EXPECT_NE(message.find("the AWS profile 'nope' is in neither"), std::string::npos) << message;
  EXPECT_NE(message.find("default, half, training"), std::string::npos) << message;

  message = usage_error([&] {
    resolve_s3_settings({}, env_of(files.dir, {{"AWS_PROFILE", "half"}}));
  });
  EXPECT_NE(message.find("profile 'half' in " + files.dir.file(".aws/credentials") +
                         " has aws_access_key_id but no aws_secret_access_key"),
            std::string::npos)
      << message;

  message = usage_error([&] {
    resolve_s3_settings({}, env_of(files.dir, {{"AWS_ACCESS_KEY_ID", "AKIAENV"}}));
  });
  EXPECT_NE(message.find("AWS_ACCESS_KEY_ID but no AWS_SECRET_ACCESS_KEY"), std::string::npos);

  message = usage_error([&] {
    resolve_s3_settings({}, env_of(files.dir, {{"AWS_PROFILE", "sso"}}));
  });
  EXPECT_NE(message.find("sso_session"), std::string::npos) << message;
  EXPECT_NE(message.find("aws configure export-credentials --profile sso"), std::string::npos);
}

TEST(AwsConfig, NoFilesAndNoEnvironmentMeansUnsigned) {
  TempDir empty;
  const S3Settings s = resolve_s3_settings({}, env_of(empty, {}));
  EXPECT_TRUE(s.credentials.empty());
  EXPECT_EQ(s.region, "us-east-1");
  EXPECT_EQ(s.endpoint, "https://s3.us-east-1.amazonaws.com");
}

TEST(AwsConfig, FileLocationsFromTheEnvironment) {
  TempDir dir;
  write_text(dir.file("creds"), "[default]\naws_access_key_id=A\naws_secret_access_key=B\n");
  write_text(dir.file("conf"), "[default]\nregion=ca-central-1\n");
  const S3Settings s =
      resolve_s3_settings({}, env_of(dir, {{"AWS_SHARED_CREDENTIALS_FILE", dir.file("creds")},
                                           {"AWS_CONFIG_FILE", dir.file("conf")}}));
  EXPECT_EQ(s.credentials.access_key_id, "A");
  EXPECT_EQ(s.region, "ca-central-1");
}

}  // namespace
}  // namespace imagenet
