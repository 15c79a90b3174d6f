// Implements app/bench_model_command.h: time_train_steps (train/step_benchmark.h) on one
// synthetic batch.
#include "imagenet/app/bench_model_command.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/step_benchmark.h"
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
  const DeviceBatch batch =
      synthetic_batch(n, size, command.num_classes, device, step.channels_last());
  const StepTiming timing =
      time_train_steps(step, batch, config.optim.lr, command.warmup_steps, command.steps);
  std::cout << str_printf(
                   "bench-model: arch=%s batch=%lld img_size=%lld precision=%s channels_last=%s "
                   "device=%s steps=%d ms_per_step=%.2f img_per_sec=%.1f loss=%.4f\n",
                   config.model.arch.c_str(), static_cast<long long>(n),
                   static_cast<long long>(size), to_string(config.train.precision).c_str(),
                   step.channels_last() ? "true" : "false", compat::describe_device(device).c_str(),
                   command.steps, timing.ms_per_step(), timing.images_per_second(), timing.loss)
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
