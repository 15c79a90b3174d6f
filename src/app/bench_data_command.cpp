// Implements app/bench_data_command.h: measure_loader_rate (data/loader_benchmark.h), timed by
// the wall clock and by the process's CPU time, so that "per core" is measured, not assumed.
#include "imagenet/app/bench_data_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <thread>

#include "imagenet/app/config_flags.h"
#include "imagenet/data/batch_loader.h"
#include "imagenet/data/dataset.h"
#include "imagenet/data/loader_benchmark.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct BenchDataCommand {
  ConfigFlags flags;
  /// Timed batches, after `warmup` untimed ones (thread start, first reads).
  int batches = 50;
  int warmup = 5;
  /// "train" (random crops) or "val" (center crops).
  std::string split = "train";
  bool rescan = false;
};

/// Loads batches as fast as the loader delivers them (an infinitely fast consumer) and prints
/// the rates; returns the exit code.
int run_bench_data_command(const BenchDataCommand& command) {
  log_init({});
  IMAGENET_USAGE_CHECK(command.split == "train" || command.split == "val",
                       "--split must be train or val, got '", command.split, "'");
  IMAGENET_USAGE_CHECK(command.batches >= 1 && command.warmup >= 0,
                       "--batches must be >= 1 and --warmup >= 0");
  Config config = load_config(config_sources(command.flags));
  const bool train = command.split == "train";
  OpenDataOptions open;
  open.rescan = command.rescan;
  open.with_val = !train;
  DataSplits data = open_datasets(config, open);
  LoaderOptions options = loader_options_from_config(config, train);
  if (options.read_policy.injected_latency_seconds > 0)
    log_warn(str_cat("IMAGENET_INJECT_READ_LATENCY_MS: every file open waits ",
                     options.read_policy.injected_latency_seconds * 1000, " ms"));
  BatchLoader loader(train ? data.train : data.val, options);

  const LoaderRate measured = measure_loader_rate(loader, command.warmup, command.batches);
  const double seconds = measured.seconds, cpu = measured.cpu_seconds;
  const int64_t images = measured.images, bad = measured.bad_samples,
                retries = measured.read_retries;
  const int workers = std::max(1, options.num_workers);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const double rate = images / seconds;
  std::printf(
      "bench-data: split=%s images=%lld seconds=%.2f img_per_sec=%.1f workers=%d io_threads=%d "
      "cores=%d img_per_sec_per_core=%.1f cpu_util=%.2f img_per_cpu_sec=%.1f img_size=%d "
      "batch=%d bad_samples=%lld read_retries=%lld\n",
      command.split.c_str(), static_cast<long long>(images), seconds, rate, workers,
      options.io_threads, cores, rate / std::min(workers, cores), cpu / seconds,
      cpu > 0 ? images / cpu : 0.0, options.transform.size, options.batch_size,
      static_cast<long long>(bad), static_cast<long long>(retries));
  std::fflush(stdout);
  return 0;
}

}  // namespace

void register_bench_data_command(SubcommandContext& context) {
  CLI::App* data = context.app.add_subcommand(
      "bench-data", "Time the data loader alone: images/s overall and per core");
  auto data_command = std::make_shared<BenchDataCommand>();
  add_config_flags(*data, data_command->flags);
  data->add_option("--batches", data_command->batches, "Timed batches")->capture_default_str();
  data->add_option("--warmup", data_command->warmup, "Untimed batches first")
      ->capture_default_str();
  data->add_option("--split", data_command->split, "train (random crops) or val (center crops)")
      ->capture_default_str();
  data->add_flag("--rescan", data_command->rescan,
                 "List the data folders again instead of using the cached index");
  data->callback([&action = context.action, data_command] {
    action = [data_command] { return run_bench_data_command(*data_command); };
  });
}

}  // namespace imagenet
