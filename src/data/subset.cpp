// Implements data/subset.h: list the selected class folders in parallel, then copy with a
// pool of threads while the calling thread reports progress.
#include "imagenet/data/subset.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
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
  std::string from;
  std::string to;
};

}  // namespace

SubsetReport copy_subset(const SubsetOptions& options,
                         const std::function<void(const SubsetProgress&)>& progress) {
  IMAGENET_USAGE_CHECK(!options.src.empty() && !options.dst.empty(),
                       "subset needs --src DIR and --dst DIR");
  IMAGENET_USAGE_CHECK(fs::absolute(options.src) != fs::absolute(options.dst),
                       "--src and --dst are the same folder");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> classes =
      select_source_classes(options.src, options.num_classes, options.subset_seed);
  const int threads = std::max(1, options.threads);

  // The files, listed in parallel (a network file system answers each listing slowly).
  std::vector<CopyJob> jobs;
  for (const char* split : {"train", "val"}) {
    const std::string from = options.src + "/" + split, to = options.dst + "/" + split;
    DatasetIndex index = scan_image_folder(from, classes, threads);
    for (const auto& name : classes) ensure_directory(to + "/" + name);
    for (const auto& sample : index.samples)
      jobs.push_back({sample.path, to + sample.path.substr(from.size())});
  }

  std::atomic<int64_t> done{0}, copied{0}, bytes{0};
  std::atomic<bool> finished{false};
  std::exception_ptr error;
  ReadPolicy policy;
  policy.retries = options.retries;
  policy.injected_latency_seconds = injected_read_latency_from_env();
  std::thread copier([&] {
    try {
      parallel_for(static_cast<int64_t>(jobs.size()), threads, [&](int64_t i) {
        thread_local std::vector<uint8_t> buffer;
        const CopyJob& job = jobs[i];
        const int64_t source_size = file_size_or_missing(job.from);
        if (source_size >= 0 && file_size_or_missing(job.to) == source_size) {
          ++done;
          return;
        }
        try {
          read_file_with_retries(job.from, buffer, policy);
        } catch (const DecodeError& e) {
          throw RuntimeError(str_cat("cannot read ", job.from, ": ", e.what()));
        }
        write_file_replace(
            job.to, std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
        const int64_t written = file_size_or_missing(job.to);
        if (written != static_cast<int64_t>(buffer.size()) ||
            (source_size >= 0 && written != source_size))
          throw RuntimeError(str_cat("copy of ", job.from, " to ", job.to, " has ", written,
                                     " bytes, the source ", source_size,
                                     ". Is the destination disk full?"));
        bytes += written;
        ++copied;
        ++done;
      });
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
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace imagenet
