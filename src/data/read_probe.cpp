// Implements data/read_probe.h.
#include "imagenet/data/read_probe.h"

#include <algorithm>
#include <chrono>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// One pass over `paths`; keeps the bytes in `files` when given, and the failures in `errors`.
ReadPass read_pass(const std::vector<std::string>& paths, int threads, const ReadPolicy& policy,
                   std::vector<std::vector<uint8_t>>* files, std::vector<std::string>* errors) {
  ReadPass pass;
  pass.files = static_cast<int64_t>(paths.size());
  std::vector<double> read_seconds(paths.size(), 0);
  std::vector<int64_t> sizes(paths.size(), 0);
  std::vector<std::string> failures(paths.size());
  const Clock::time_point start = Clock::now();
  parallel_for(pass.files, threads, [&](int64_t i) {
    std::vector<uint8_t> buffer;
    const Clock::time_point t = Clock::now();
    try {
      read_file_with_retries(paths[i], buffer, policy);
    } catch (const DecodeError& e) {
      failures[i] = e.what();
    }
    read_seconds[i] = seconds_since(t);
    sizes[i] = static_cast<int64_t>(buffer.size());
    if (files) (*files)[i] = std::move(buffer);
  });
  pass.seconds = seconds_since(start);
  double total = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    total += read_seconds[i];
    pass.bytes += sizes[i];
    if (!failures[i].empty()) {
      ++pass.failed;
      if (errors) (*errors)[i] = failures[i];
    }
  }
  pass.mean_read_seconds = paths.empty() ? 0 : total / paths.size();
  return pass;
}

}  // namespace

std::vector<std::string> sample_paths(const DatasetIndex& index, int64_t count, uint64_t seed) {
  const int64_t n = static_cast<int64_t>(index.samples.size());
  std::vector<std::string> out;
  if (count >= n) {
    for (const auto& s : index.samples) out.push_back(s.path);
    return out;
  }
  // One file from each of `count` equal stretches of the index (so every class is visited),
  // at a seeded position inside the stretch.
  Rng rng(seed);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t begin = k * n / count, end = (k + 1) * n / count;
    out.push_back(index.samples[begin + static_cast<int64_t>(rng.next_u64() % (end - begin))].path);
  }
  return out;
}

ReadProbe probe_reads(const std::vector<std::string>& paths, int threads,
                      const ReadPolicy& policy) {
  ReadProbe probe;
  std::vector<std::vector<uint8_t>> files(paths.size());
  std::vector<std::string> errors(paths.size());
  probe.cold = read_pass(paths, threads, policy, &files, &errors);
  probe.warm = read_pass(paths, threads, policy, nullptr, nullptr);
  ImageDecoder decoder;
  DecodedImage image;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string reason = errors[i];
    if (reason.empty()) {
      try {
        const ImageInfo info = decoder.read_info(files[i].data(), files[i].size());
        decoder.decode(files[i].data(), files[i].size(), {0, 0, info.width, info.height},
                       info.width, info.height, &image);
        ++probe.decoded;
        continue;
      } catch (const DecodeError& e) {
        reason = e.what();
      }
    }
    ++probe.bad;
    if (probe.bad_examples.size() < 5) probe.bad_examples.push_back(paths[i] + ": " + reason);
  }
  return probe;
}

}  // namespace imagenet
