// Implements app/bench_model_command.h: TrainStep::run in a loop on one synthetic batch.
#include "imagenet/app/bench_model_command.h"

#include <torch/cuda.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/train/train_step.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct BenchModelCommand {
  ConfigFlags flags;
  int warmup_steps = 10;
  int steps = 50;
  int num_classes = 1000;
};

/// Prints the step's throughput; returns the exit code.
int run_bench_model_command(const BenchModelCommand& command) {
  log_init({});
  const Config config = load_config(config_sources(command.flags));
  const c10::Device device = resolve_device(config);
  const bool cuda = device.is_cuda();
  check_precision(config, device);
  configure_cpu_threads(config);
  if (cuda) compat::configure_cuda_math(config.train.cudnn_benchmark, config.train.tf32);

  TrainStep step(train_step_options(config), device, command.num_classes);
  step.model()->train();
  const int64_t n = config.train.batch_size, size = config.data.img_size;
  // A fixed synthetic batch: what the loader would deliver, already on the device.
  auto make_batch = [&] {
    DeviceBatch b;
    b.images = at::randn({n, 3, size, size}, at::TensorOptions().device(device));
    if (step.channels_last()) b.images = b.images.contiguous(at::MemoryFormat::ChannelsLast);
    b.labels =
        at::randint(command.num_classes, {n}, at::TensorOptions().dtype(at::kLong).device(device));
    return b;
  };
  DeviceBatch batch = make_batch();
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };
  for (int i = 0; i < command.warmup_steps; ++i) {
    DeviceBatch b = batch;
    step.run(b, config.optim.lr, i);
  }
  sync();
  const auto start = std::chrono::steady_clock::now();
  at::Tensor loss;
  for (int i = 0; i < command.steps; ++i) {
    DeviceBatch b = batch;
    loss = step.run(b, config.optim.lr, command.warmup_steps + i).loss;
  }
  sync();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double images_per_second = n * command.steps / seconds;
  std::cout << str_printf(
                   "bench-model: arch=%s batch=%lld img_size=%lld precision=%s channels_last=%s "
                   "device=%s steps=%d ms_per_step=%.2f img_per_sec=%.1f loss=%.4f\n",
                   config.model.arch.c_str(), static_cast<long long>(n),
                   static_cast<long long>(size), to_string(config.train.precision).c_str(),
                   step.channels_last() ? "true" : "false", compat::describe_device(device).c_str(),
                   command.steps, 1000.0 * seconds / command.steps, images_per_second,
                   loss.item<double>())
            << std::flush;
  return 0;
}

}  // namespace

void register_bench_model_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "bench-model", "Time the training step on synthetic input already on the device");
  auto command = std::make_shared<BenchModelCommand>();
  add_config_flags(*sub, command->flags);
  sub->add_option("--steps", command->steps, "Timed steps")->capture_default_str();
  sub->add_option("--warmup", command->warmup_steps, "Untimed steps first")->capture_default_str();
  sub->add_option("--num_classes,--num-classes", command->num_classes, "Model outputs")
      ->capture_default_str();
  sub->callback([&action = context.action, command] {
    action = [command] { return run_bench_model_command(*command); };
  });
}

}  // namespace imagenet
