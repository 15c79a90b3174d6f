// Implements data/loader_benchmark.h.
#include "imagenet/data/loader_benchmark.h"

#include <sys/resource.h>

#include <chrono>
#include <memory>

namespace imagenet {

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

LoaderRate measure_loader_rate(BatchLoader& loader, int warmup, int batches) {
  LoaderRate rate;
  int64_t epoch = 0;
  double decode_done = 0;  // decode seconds of finished epochs
  auto add_epoch_stats = [&] {
    LoaderEpochStats stats = loader.epoch_stats();
    rate.bad_samples += stats.bad_samples;
    rate.read_retries += stats.read_retries;
    decode_done += stats.decode_seconds;
  };
  loader.start_epoch(epoch);
  auto next_batch = [&] {
    std::shared_ptr<const Batch> batch = loader.next();
    if (!batch) {
      add_epoch_stats();
      loader.start_epoch(++epoch);
      batch = loader.next();
    }
    return batch;
  };
  for (int i = 0; i < warmup; ++i) next_batch();
  const double decode_start = decode_done + loader.epoch_stats().decode_seconds;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  for (int i = 0; i < batches; ++i) rate.images += next_batch()->size;
  rate.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rate.cpu_seconds = process_cpu_seconds() - cpu_start;
  add_epoch_stats();  // bad samples and retries count the warmup batches too
  rate.decode_seconds = decode_done - decode_start;
  return rate;
}

}  // namespace imagenet
