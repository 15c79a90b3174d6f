// `imagenet_train bench-model`: the training step alone on synthetic input (see bench/).
#include "imagenet/train/bench_command.h"
#include "commands.h"
#include "config_flags.h"

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
}

}  // namespace imagenet::cli
