// Implements data/subset.h: list the selected classes of the source (folders, or S3 prefixes in
// parallel), see what the destination has already, then copy with a pool of threads while the
// calling thread reports progress. S3 transfers all run through one S3Client (its threads only
// wait on their request), so `threads` copies are in flight whichever end is remote.
#include "imagenet/data/subset.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/data/s3_image_folder.h"
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

/// The size of `path`, or -1 when it does not exist.
int64_t file_size_or_missing(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

struct CopyJob {
  std::string from;   ///< a path, or the key in the source bucket
  std::string to;     ///< a path, or the key in the destination bucket
  int64_t size = -1;  ///< known from an S3 listing; -1: stat the local file
  std::string etag;   ///< of an S3 source
};

/// One end of the copy: a folder, or a bucket and prefix.
struct End {
  bool s3 = false;
  std::string dir;
  S3Uri uri;

  explicit End(const std::string& location) : s3(is_s3_uri(location)), dir(location) {}
  std::string folder(const std::string& split, const std::string& name) const {
    return s3 ? uri.child(split).key(name) : dir + "/" + split + "/" + name;
  }
  std::string where(const std::string& path_or_key) const {
    return s3 ? str_cat("s3://", uri.bucket, "/", path_or_key) : path_or_key;
  }
};

/// The zero-byte "folder/" objects s3fs (and the S3 console) need to show folders.
void put_folder_markers(S3Client& client, const End& dst, const std::vector<std::string>& classes,
                        const std::map<std::string, S3Object>& existing, int threads) {
  std::vector<std::string> markers;
  if (!dst.uri.prefix.empty()) markers.push_back(dst.uri.prefix + "/");
  for (const char* split : {"train", "val"}) {
    markers.push_back(dst.uri.child(split).prefix + "/");
    for (const std::string& name : classes) markers.push_back(dst.folder(split, name) + "/");
  }
  parallel_for(static_cast<int64_t>(markers.size()), threads, [&](int64_t i) {
    if (!existing.count(markers[i]))
      client.put_object(dst.uri.bucket, markers[i], "", "application/x-directory");
  });
}

}  // namespace

SubsetReport copy_subset(const SubsetOptions& options,
                         const std::function<void(const SubsetProgress&)>& progress) {
  IMAGENET_USAGE_CHECK(!options.src.empty() && !options.dst.empty(),
                       "subset needs --src DIR and --dst DIR");
  End src(options.src), dst(options.dst);
  IMAGENET_USAGE_CHECK(
      options.src != options.dst &&
          (src.s3 || dst.s3 || fs::absolute(options.src) != fs::absolute(options.dst)),
      "--src and --dst are the same folder");
  const auto start = std::chrono::steady_clock::now();
  const int threads = std::max(1, options.threads);

  std::unique_ptr<S3Client> client;
  if (src.s3 || dst.s3) {
    S3ClientOptions client_options;
    client_options.settings = resolve_s3_settings(options.s3);
    client_options.max_in_flight = threads;
    client = std::make_unique<S3Client>(client_options);
  }
  // Wrong credentials, a missing bucket or an unreachable endpoint stop here, in seconds.
  if (src.s3) {
    src.uri = parse_s3_uri(options.src, "--src");
    client->check_access(src.uri.bucket, src.uri.prefix);
  }
  if (dst.s3) {
    dst.uri = parse_s3_uri(options.dst, "--dst");
    client->check_access(dst.uri.bucket, dst.uri.prefix);
  }
  const std::vector<std::string> classes =
      src.s3 ? select_s3_source_classes(*client, src.uri, options.num_classes, options.subset_seed)
             : select_source_classes(options.src, options.num_classes, options.subset_seed);

  // The files, listed in parallel (network file systems and S3 answer each listing slowly).
  std::vector<CopyJob> jobs;
  for (const char* split : {"train", "val"}) {
    if (src.s3) {
      const auto images = list_s3_class_images(*client, src.uri.child(split), classes, threads);
      for (size_t c = 0; c < classes.size(); ++c) {
        const std::string class_prefix = src.folder(split, classes[c]) + "/";
        for (const S3Object& object : images[c])
          jobs.push_back(
              {object.key,
               dst.folder(split, classes[c] + "/" + s3_object_name(object, class_prefix)),
               object.size, object.etag});
      }
    } else {
      const std::string from = options.src + "/" + split;
      DatasetIndex index = scan_image_folder(from, classes, threads);
      for (const auto& sample : index.samples)
        jobs.push_back(
            {sample.path, dst.folder(split, sample.path.substr(from.size() + 1)), -1, ""});
    }
  }

  // What the destination has already.
  std::map<std::string, S3Object> existing;
  if (dst.s3) {
    const std::string prefix = dst.uri.prefix.empty() ? "" : dst.uri.prefix + "/";
    for (S3Object& object : client->list_objects(dst.uri.bucket, prefix))
      existing.emplace(object.key, std::move(object));
    put_folder_markers(*client, dst, classes, existing, threads);
  } else {
    for (const char* split : {"train", "val"})
      for (const auto& name : classes) ensure_directory(dst.folder(split, name));
  }

  std::atomic<int64_t> done{0}, copied{0}, bytes{0}, md5_verified{0};
  std::atomic<bool> finished{false};
  std::exception_ptr error;
  ReadPolicy policy;
  policy.retries = options.retries;
  policy.injected_latency_seconds = injected_read_latency_from_env();

  // Whether `job` is at the destination already, with the same bytes as far as can be told.
  auto already_there = [&](const CopyJob& job, int64_t source_size) {
    if (source_size < 0) return false;
    if (!dst.s3) return file_size_or_missing(job.to) == source_size;
    auto it = existing.find(job.to);
    if (it == existing.end() || it->second.size != source_size) return false;
    if (!etag_is_md5(it->second.etag)) return true;
    if (src.s3) return !etag_is_md5(job.etag) || job.etag == it->second.etag;
    return md5_hex(read_file(job.from)) == it->second.etag;
  };

  auto copy_one = [&](int64_t i) {
    thread_local std::vector<uint8_t> buffer;
    const CopyJob& job = jobs[i];
    const int64_t source_size = src.s3 ? job.size : file_size_or_missing(job.from);
    if (already_there(job, source_size)) {
      ++done;
      return;
    }
    // Read.
    std::string_view data;
    std::string s3_body;
    if (src.s3) {
      S3Request request;
      request.bucket = src.uri.bucket;
      request.key = job.from;
      S3Response response = client->perform(request);
      if (!response.ok()) throw_s3_failure(response, request, client->options().settings);
      s3_body = std::move(response.body);
      if (static_cast<int64_t>(s3_body.size()) != job.size)
        throw RuntimeError(str_cat(src.where(job.from), " has ", s3_body.size(),
                                   " bytes, its listing said ", job.size,
                                   ": was it changed during the copy? Run subset again"));
      if (etag_is_md5(job.etag)) {
        if (md5_hex(s3_body) != job.etag)
          throw RuntimeError(str_cat(src.where(job.from),
                                     ": the bytes read do not have the MD5 "
                                     "of its ETag ",
                                     job.etag, " (corrupted on the way)"));
        ++md5_verified;
      }
      data = s3_body;
    } else {
      try {
        read_file_with_retries(job.from, buffer, policy);
      } catch (const DecodeError& e) {
        throw RuntimeError(str_cat("cannot read ", job.from, ": ", e.what()));
      }
      data = std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size());
    }
    // Write, and check what was written.
    if (dst.s3) {
      const std::string etag =
          client->put_object(dst.uri.bucket, job.to, std::string(data), "application/octet-stream");
      if (etag_is_md5(etag)) {
        if (etag != md5_hex(data))
          throw RuntimeError(str_cat(dst.where(job.to), " was stored with ETag ", etag,
                                     ", not the MD5 of the bytes sent"));
        ++md5_verified;
      }
    } else {
      write_file_replace(job.to, data);
      const int64_t written = file_size_or_missing(job.to);
      if (written != static_cast<int64_t>(data.size()) ||
          (source_size >= 0 && written != source_size))
        throw RuntimeError(str_cat("copy of ", src.where(job.from), " to ", job.to, " has ",
                                   written, " bytes, the source ", source_size,
                                   ". Is the destination disk full?"));
    }
    bytes += static_cast<int64_t>(data.size());
    ++copied;
    ++done;
  };

  std::thread copier([&] {
    try {
      parallel_for(static_cast<int64_t>(jobs.size()), threads, copy_one);
    } catch (...) {
      error = std::current_exception();
    }
    finished = true;
  });
  const int64_t total = static_cast<int64_t>(jobs.size());
  while (!finished) {
    if (progress) progress({done.load(), total, bytes.load()});
    for (int i = 0; i < 5 && !finished; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  copier.join();
  if (progress) progress({done.load(), total, bytes.load()});
  if (error) std::rethrow_exception(error);

  SubsetReport report;
  report.classes = static_cast<int>(classes.size());
  report.files = total;
  report.copied = copied;
  report.skipped = total - copied;
  report.bytes_copied = bytes;
  report.md5_verified = md5_verified;
  if (client) {
    const S3Stats stats = client->stats();
    report.s3_retries = stats.describe_retries();
    log_info(str_cat("subset: S3 ", describe_endpoint(client->options().settings), ": ",
                     stats.requests, " requests, ", report.s3_retries, ", ", md5_verified.load(),
                     " files checked against their MD5 ETag"));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace imagenet
