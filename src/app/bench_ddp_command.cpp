// Implements app/bench_ddp_command.h: TrainStep::run on a fixed synthetic batch per rank,
// timed in modes that differ only in the gradient all-reduce; the modes take turns round after
// round, so drifting machine load affects them alike.
#include "imagenet/app/bench_ddp_command.h"

#include <torch/cuda.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/distributed/gradient_reducer.h"
#include "imagenet/distributed/sync_batch_norm.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/step_benchmark.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/train/train_step.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct BenchDdpCommand {
  ConfigFlags flags;
  int warmup_steps = 3;
  int steps = 10;
  int rounds = 3;  ///< every mode is timed once per round, the modes interleaved
  int num_classes = 1000;
};

using Clock = std::chrono::steady_clock;

struct Mode {
  std::string name;
  bool reduce = true;  // false: no all-reduce at all (each rank steps on its own gradients)
  GradientReducerOptions options;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int run_bench_ddp_command(const BenchDdpCommand& command, const std::vector<std::string>& argv) {
  log_init({});
  const Config config = load_config(config_sources(command.flags));
  const DistEnv dist = resolve_run_env(config);
  if (dist.kind == LaunchKind::kLauncher) return launch_workers(argv, dist, "bench-ddp", "");
  if (!dist.distributed)
    throw UsageError(
        "bench-ddp times data-parallel steps: give --devices 2 (or more), or "
        "start it under torchrun.");
  RunSessionOptions options;
  options.command = "bench-ddp";
  options.title = "bench-ddp";
  options.open_data = false;
  options.write_log = false;
  const RunSession session = open_run_session(config, dist, options);
  const c10::Device device = session.device;
  const int threads = session.cpu_threads;
  std::shared_ptr<ProcessGroup> group = session.group;

  TrainStep step(train_step_options(config), device, command.num_classes);
  step.model()->train();
  if (config.dist.sync_batchnorm)
    step.model()->set_batch_norm_fn(
        [group](torch::nn::BatchNorm2dImpl& layer, const at::Tensor& x) {
          return sync_batch_norm(layer, x, *group);
        });
  std::vector<at::Tensor> params;
  for (const auto& p : step.model()->parameters()) params.push_back(p);
  const int64_t n = config.train.batch_size, size = config.data.img_size;
  torch::manual_seed(static_cast<uint64_t>(1000 + dist.rank));  // each rank its own batch
  const DeviceBatch batch =
      synthetic_batch(n, size, command.num_classes, device, step.channels_last());

  std::vector<Mode> modes(5);
  modes[0] = {"no all-reduce (compute only)", false, {}};
  modes[1].name = "all-reduce after backward, gradients as bucket views";
  modes[1].options.overlap = false;
  modes[2].name = "all-reduce overlapped with backward, gradients as bucket views";
  modes[3].name = "all-reduce after backward, gradients copied to buckets";
  modes[3].options.overlap = false;
  modes[3].options.grads_as_views = false;
  modes[4].name = "all-reduce overlapped with backward, gradients copied to buckets";
  modes[4].options.grads_as_views = false;
  for (auto& mode : modes) mode.options.bucket_mb = config.dist.dist_bucket_mb;

  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  std::map<std::string, std::vector<double>> ms_per_step;
  std::vector<double> allreduce_ms;
  int buckets = 0, launched_inside = 0;
  int64_t step_index = 0;
  for (int round = 0; round < command.rounds; ++round) {
    for (const Mode& mode : modes) {
      std::unique_ptr<GradientReducer> reducer;
      if (mode.reduce) {
        reducer = std::make_unique<GradientReducer>(group, params, mode.options);
        step.set_after_backward([&reducer] { reducer->finish_backward(); });
      } else {
        step.set_after_backward(nullptr);
      }
      auto run = [&] {
        DeviceBatch b = batch;
        step.run(b, config.optim.lr, step_index++);
      };
      for (int i = 0; i < command.warmup_steps; ++i) run();
      sync();
      group->barrier();
      const Clock::time_point start = Clock::now();
      for (int i = 0; i < command.steps; ++i) run();
      sync();
      group->barrier();
      ms_per_step[mode.name].push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count() / command.steps);
      if (reducer && mode.options.overlap && mode.options.grads_as_views) {
        buckets = static_cast<int>(reducer->bucket_params().size());
        launched_inside = reducer->launched_during_backward();
        // The all-reduce alone: every bucket, no backward to hide it behind.
        const Clock::time_point t = Clock::now();
        for (int i = 0; i < command.steps; ++i) reducer->finish_backward();
        sync();
        allreduce_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count() /
                               command.steps);
      }
      step.set_after_backward(nullptr);
    }
  }

  if (dist.rank == 0) {
    std::cout << str_printf(
        "bench-ddp: arch=%s batch=%lld per rank img_size=%lld world=%d backend=%s "
        "device=%s threads=%d buckets=%d (started inside backward: %d) steps=%d rounds=%d\n",
        config.model.arch.c_str(), static_cast<long long>(n), static_cast<long long>(size),
        group->size(), group->backend_name().c_str(), compat::describe_device(device).c_str(),
        threads, buckets, launched_inside, command.steps, command.rounds);
    for (const Mode& mode : modes) {
      const auto& values = ms_per_step[mode.name];
      std::cout << str_printf("bench-ddp: %-66s ms_per_step median=%.1f min=%.1f max=%.1f\n",
                              mode.name.c_str(), median(values),
                              *std::min_element(values.begin(), values.end()),
                              *std::max_element(values.begin(), values.end()));
    }
    std::cout << str_printf("bench-ddp: %-66s ms median=%.1f\n", "gradient all-reduce alone",
                            median(allreduce_ms));
    const double after = median(ms_per_step[modes[1].name]);
    const double overlapped = median(ms_per_step[modes[2].name]);
    std::cout << str_printf(
                     "bench-ddp: overlapped / after = %.3f (%.1f ms of %.1f ms all-reduce "
                     "hidden)\n",
                     overlapped / after, after - overlapped, median(allreduce_ms))
              << std::flush;
  }
  return 0;
}

}  // namespace

void register_bench_ddp_command(SubcommandContext& context) {
  CLI::App* ddp = context.app.add_subcommand(
      "bench-ddp",
      "Time the data-parallel step (--devices 2): all-reduce overlapped with backward or not");
  auto ddp_command = std::make_shared<BenchDdpCommand>();
  add_config_flags(*ddp, ddp_command->flags);
  ddp->add_option("--steps", ddp_command->steps, "Timed steps per mode and round")
      ->capture_default_str();
  ddp->add_option("--warmup", ddp_command->warmup_steps, "Untimed steps before each")
      ->capture_default_str();
  ddp->add_option("--rounds", ddp_command->rounds, "Rounds over all modes")->capture_default_str();
  ddp->add_option("--num_classes,--num-classes", ddp_command->num_classes, "Model outputs")
      ->capture_default_str();
  ddp->callback([&action = context.action, ddp_command, argv = context.argv] {
    action = [ddp_command, argv] { return run_bench_ddp_command(*ddp_command, argv); };
  });
}

}  // namespace imagenet
