// `imagenet_train bench-model` (the training step alone on synthetic input) and
// `imagenet_train bench-data` (the loader alone); see bench/.
#include "imagenet/train/bench_command.h"
#include "commands.h"
#include "config_flags.h"
#include "imagenet/data/bench_data.h"

namespace imagenet::cli {

void register_bench_command(CLI::App& app, CommandAction& action) {
  CLI::App* sub = app.add_subcommand(
      "bench-model", "Time the training step on synthetic input already on the device");
  auto flags = std::make_shared<ConfigFlags>();
  auto command = std::make_shared<BenchModelCommand>();
  add_config_flags(*sub, *flags);
  sub->add_option("--steps", command->steps, "Timed steps")->capture_default_str();
  sub->add_option("--warmup", command->warmup_steps, "Untimed steps first")->capture_default_str();
  sub->add_option("--num_classes,--num-classes", command->num_classes, "Model outputs")
      ->capture_default_str();
  sub->callback([&action, flags, command] {
    action = [flags, command] {
      command->sources = config_sources(*flags);
      return run_bench_model_command(*command);
    };
  });

  CLI::App* data =
      app.add_subcommand("bench-data", "Time the data loader alone: images/s overall and per core");
  auto data_flags = std::make_shared<ConfigFlags>();
  auto data_command = std::make_shared<BenchDataCommand>();
  add_config_flags(*data, *data_flags);
  data->add_option("--batches", data_command->batches, "Timed batches")->capture_default_str();
  data->add_option("--warmup", data_command->warmup, "Untimed batches first")
      ->capture_default_str();
  data->add_option("--split", data_command->split, "train (random crops) or val (center crops)")
      ->capture_default_str();
  data->add_flag("--rescan", data_command->rescan,
                 "List the data folders again instead of using the cached index");
  data->callback([&action, data_flags, data_command] {
    action = [data_flags, data_command] {
      data_command->sources = config_sources(*data_flags);
      return run_bench_data_command(*data_command);
    };
  });
}

}  // namespace imagenet::cli
