// Implements data/pack_s3.h by composition: copy_subset down, pack_dataset locally, PUTs up.
#include "imagenet/data/pack_s3.h"

#include <filesystem>
#include <map>

#include "imagenet/data/subset.h"
#include "imagenet/s3/digest.h"
#include "imagenet/s3/s3_client.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/parallel.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

/// Uploads staged/{train,val}/*.tar, then each split's shards.tsv, to `dst`; skips a shard
/// already there with the same size. Returns the shards sent.
int upload_shards(const std::string& staged, const S3Uri& dst, const S3SettingsRequest& s3,
                  int threads) {
  S3ClientOptions client_options;
  client_options.settings = resolve_s3_settings(s3);
  client_options.max_in_flight = threads;
  S3Client client(client_options);
  client.check_access(dst.bucket, dst.prefix);
  std::map<std::string, int64_t> existing;
  for (const S3Object& object :
       client.list_objects(dst.bucket, dst.prefix.empty() ? "" : dst.prefix + "/"))
    existing[object.key] = object.size;
  int sent = 0;
  for (const char* split : {"train", "val"}) {
    std::vector<std::string> shards;
    for (const auto& entry : fs::directory_iterator(fs::path(staged) / split))
      if (entry.path().extension() == ".tar") shards.push_back(entry.path().filename().string());
    const S3Uri to = dst.child(split);
    parallel_for(static_cast<int64_t>(shards.size()), threads, [&](int64_t i) {
      const std::string path = (fs::path(staged) / split / shards[i]).string();
      const std::string key = to.key(shards[i]);
      const std::string body = read_file(path);
      auto it = existing.find(key);
      if (it != existing.end() && it->second == static_cast<int64_t>(body.size())) return;
      const std::string etag = client.put_object(dst.bucket, key, body, "application/x-tar");
      if (etag_is_md5(etag) && etag != md5_hex(body))
        throw RuntimeError(str_cat("s3://", dst.bucket, "/", key, " was stored with ETag ", etag,
                                   ", not the MD5 of the shard sent"));
    });
    sent += static_cast<int>(shards.size());
  }
  // The indexes last: a reader that finds one finds its shards.
  for (const char* split : {"train", "val"})
    client.put_object(dst.bucket, dst.child(split).key(kShardIndexName),
                      read_file((fs::path(staged) / split / kShardIndexName).string()),
                      "text/tab-separated-values");
  log_info(str_cat("pack: uploaded to ", dst.str(), " (",
                   describe_endpoint(client_options.settings), "): ", client.stats().requests,
                   " requests, ", client.stats().describe_retries()));
  return sent;
}

}  // namespace

PackReport pack_dataset_s3(const PackOptions& options, const std::string& staging,
                           const S3SettingsRequest& s3,
                           const std::function<void(const PackProgress&)>& progress) {
  IMAGENET_USAGE_CHECK(!staging.empty(), "pack with an s3:// end needs a --staging folder");
  PackOptions local = options;
  if (is_s3_uri(options.src)) {
    SubsetOptions copy;
    copy.src = options.src;
    copy.dst = (fs::path(staging) / "source").string();
    copy.num_classes = options.num_classes;
    copy.subset_seed = options.subset_seed;
    copy.threads = std::max(16, options.threads);
    copy.s3 = s3;
    const SubsetReport r = copy_subset(copy);
    log_info(str_cat("pack: ", options.src, " copied to ", copy.dst, ": ", r.copied,
                     " files copied, ", r.skipped, " already there; ", r.s3_retries));
    local.src = copy.dst;
    local.num_classes = 0;  // the copy holds the selected classes only
  }
  S3Uri dst;
  if (is_s3_uri(options.dst)) {
    dst = parse_s3_uri(options.dst, "--dst");
    local.dst = (fs::path(staging) / "shards").string();
  }
  PackReport report = pack_dataset(local, progress);
  if (is_s3_uri(options.dst))
    upload_shards(local.dst, dst, s3, std::max(1, std::min(options.threads, 8)));
  return report;
}

}  // namespace imagenet
