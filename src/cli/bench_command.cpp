// `imagenet_train bench-model` (the training step alone on synthetic input),
// `imagenet_train bench-data` (the loader alone) and `bench-ddp` (the data-parallel step with
// and without overlap); see bench/.
#include "imagenet/train/bench_command.h"
#include "commands.h"
#include "config_flags.h"
#include "imagenet/data/bench_data.h"

namespace imagenet::cli {

void register_bench_command(CLI::App& app, CommandAction& action,
                            const std::vector<std::string>& command_line) {
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

  CLI::App* ddp = app.add_subcommand(
      "bench-ddp",
      "Time the data-parallel step (--devices 2): all-reduce overlapped with backward or not");
  auto ddp_flags = std::make_shared<ConfigFlags>();
  auto ddp_command = std::make_shared<BenchDdpCommand>();
  ddp_command->argv = command_line;
  add_config_flags(*ddp, *ddp_flags);
  ddp->add_option("--steps", ddp_command->steps, "Timed steps per mode and round")
      ->capture_default_str();
  ddp->add_option("--warmup", ddp_command->warmup_steps, "Untimed steps before each")
      ->capture_default_str();
  ddp->add_option("--rounds", ddp_command->rounds, "Rounds over all modes")->capture_default_str();
  ddp->add_option("--num_classes,--num-classes", ddp_command->num_classes, "Model outputs")
      ->capture_default_str();
  ddp->callback([&action, ddp_flags, ddp_command] {
    action = [ddp_flags, ddp_command] {
      ddp_command->sources = config_sources(*ddp_flags);
      return run_bench_ddp_command(*ddp_command);
    };
  });
}

}  // namespace imagenet::cli
