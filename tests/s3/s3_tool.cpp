// s3_tool: the S3 client on the command line, for the fault tests and the benchmark (it reads
// and writes as the loader and `subset` do, and says what it had to retry).
//   s3_tool check  s3://bucket/prefix          the start-of-run access check
//   s3_tool ls     s3://bucket/prefix          every object: key, size, ETag
//   s3_tool getall s3://bucket/prefix [N]      GET every object, N in flight (default 64),
//                                              each checked against its listed size and MD5
//   s3_tool put    FILE s3://bucket/key        PUT with Content-MD5; prints the ETag
//   s3_tool get    s3://bucket/key FILE
//   s3_tool stream s3://bucket/key CHUNK AHEAD  reads the object as a stream of ranged GETs;
//                                              prints its size, MD5 and the retries
// Endpoint, region and credentials as the AWS tools take them (AWS_ENDPOINT_URL, ...).
// Exit codes: 0 done, 1 a failure (named), 2 a usage error (credentials, bucket, endpoint).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "imagenet/s3/digest.h"
#include "imagenet/s3/s3_client.h"
#include "imagenet/s3/s3_object_stream.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {
namespace {

S3ClientOptions options_from_environment(int in_flight) {
  S3ClientOptions options;
  options.settings = resolve_s3_settings({});
  options.max_in_flight = in_flight;
  if (const char* stall = std::getenv("S3_TOOL_STALL_TIMEOUT_S"))
    options.stall_timeout_s = std::atof(stall);
  return options;
}

void print_stats(const S3Stats& stats) {
  std::printf("requests=%lld attempts=%lld failed=%lld retries=%lld (%s)\n",
              static_cast<long long>(stats.requests), static_cast<long long>(stats.attempts),
              static_cast<long long>(stats.failed), static_cast<long long>(stats.retries()),
              stats.retry_breakdown().c_str());
}

/// GETs every object under `uri`, `in_flight` at once, and checks each one's bytes.
int get_all(S3Client& client, const S3Uri& uri, int in_flight) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<S3Object> objects =
      client.list_objects(uri.bucket, uri.prefix.empty() ? "" : uri.prefix + "/");
  const double list_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::mutex mutex;
  std::condition_variable changed;
  size_t finished = 0, submitted = 0;
  int64_t bytes = 0, md5_checked = 0, wrong = 0, missing = 0, failed = 0;
  std::string first_problem;
  auto note = [&](const std::string& problem) {
    if (first_problem.empty()) first_problem = problem;
  };
  const auto get_start = std::chrono::steady_clock::now();
  for (const S3Object& object : objects) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return submitted - finished < static_cast<size_t>(in_flight); });
      ++submitted;
    }
    S3Request request;
    request.bucket = uri.bucket;
    request.key = object.key;
    client.submit(request, [&, object](S3Response&& response) {
      // On the transfer thread: check and count, then wake the submitter.
      std::lock_guard<std::mutex> lock(mutex);
      ++finished;
      changed.notify_all();
      if (response.status == 404) {
        ++missing;
        note("missing: s3://" + uri.bucket + "/" + object.key + " (" + response.error + ")");
        return;
      }
      if (!response.ok()) {
        ++failed;
        note("failed: s3://" + uri.bucket + "/" + object.key + ": " + response.error);
        return;
      }
      bytes += static_cast<int64_t>(response.body.size());
      if (static_cast<int64_t>(response.body.size()) != object.size) {
        ++wrong;
        note("wrong size: " + object.key);
      } else if (etag_is_md5(object.etag)) {
        ++md5_checked;
        if (md5_hex(response.body) != object.etag) {
          ++wrong;
          note("wrong bytes: " + object.key);
        }
      }
    });
  }
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return finished == submitted; });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - get_start).count();
  std::printf(
      "objects=%zu bytes=%lld md5_checked=%lld wrong=%lld missing=%lld failed=%lld "
      "list_seconds=%.2f seconds=%.2f objects_per_sec=%.1f in_flight=%d\n",
      objects.size(), static_cast<long long>(bytes), static_cast<long long>(md5_checked),
      static_cast<long long>(wrong), static_cast<long long>(missing),
      static_cast<long long>(failed), list_seconds, seconds, objects.size() / seconds, in_flight);
  print_stats(client.stats());
  if (!first_problem.empty()) std::printf("first problem: %s\n", first_problem.c_str());
  return wrong + missing + failed == 0 ? 0 : 1;
}

int run(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  auto argument = [&](int i) -> std::string {
    IMAGENET_USAGE_CHECK(argc > i, "usage: s3_tool check|ls|getall|put|get ... (see the source)");
    return argv[i];
  };
  const int in_flight = command == "getall" && argc > 3 ? std::atoi(argv[3]) : 64;
  S3Client client(options_from_environment(in_flight));
  if (command == "check" || command == "ls" || command == "getall") {
    const S3Uri uri = parse_s3_uri(argument(2), "the location");
    client.check_access(uri.bucket, uri.prefix);
    if (command == "check") {
      std::printf("ok: %s at %s\n", uri.str().c_str(),
                  describe_endpoint(client.options().settings).c_str());
      return 0;
    }
    if (command == "getall") return get_all(client, uri, in_flight);
    for (const S3Object& o :
         client.list_objects(uri.bucket, uri.prefix.empty() ? "" : uri.prefix + "/"))
      std::printf("%s\t%lld\t%s\n", o.key.c_str(), static_cast<long long>(o.size), o.etag.c_str());
    return 0;
  }
  if (command == "put") {
    const S3Uri uri = parse_s3_uri(argument(3), "the destination");
    std::printf("%s\n", client.put_object(uri.bucket, uri.prefix, read_file(argument(2))).c_str());
    return 0;
  }
  if (command == "get") {
    const S3Uri uri = parse_s3_uri(argument(2), "the source");
    write_file_replace(argument(3), client.get_object(uri.bucket, uri.prefix));
    return 0;
  }
  if (command == "stream") {
    const S3Uri uri = parse_s3_uri(argument(2), "the source");
    S3StreamOptions stream_options;
    stream_options.chunk_bytes = std::atoll(argument(3).c_str());
    stream_options.ahead = std::atoi(argument(4).c_str());
    S3ObjectStream stream(client, uri.bucket, uri.prefix, -1, stream_options);
    std::string all;
    std::vector<uint8_t> buffer(100000);
    while (size_t n = stream.read(buffer.data(), buffer.size()))
      all.append(reinterpret_cast<const char*>(buffer.data()), n);
    std::printf("bytes=%zu md5=%s retries=%d\n", all.size(), md5_hex(all).c_str(),
                stream.retries());
    return 0;
  }
  throw UsageError("usage: s3_tool check|ls|getall|put|get|stream ... (see tests/s3/s3_tool.cpp)");
}

}  // namespace
}  // namespace imagenet

int main(int argc, char** argv) {
  try {
    return imagenet::run(argc, argv);
  } catch (const imagenet::UsageError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
