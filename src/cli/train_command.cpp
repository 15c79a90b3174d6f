// `imagenet_train [train] --config X [flags]`: the default subcommand.
#include "imagenet/train/train_command.h"
#include "commands.h"
#include "config_flags.h"

namespace imagenet::cli {

void register_train_command(CLI::App& app, CommandAction& action,
                            const std::vector<std::string>& command_line) {
  CLI::App* sub = app.add_subcommand(
      "train", "Train a model (the default: `imagenet_train --config X` means `train`)");
  auto flags = std::make_shared<ConfigFlags>();
  auto command = std::make_shared<TrainCommand>();
  add_config_flags(*sub, *flags);
  sub->add_option("--resume", command->resume_path,
                  "Continue from a checkpoint, e.g. checkpoints/last.ckpt");
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->add_flag("--rescan", command->rescan,
                "List the data folders again instead of using the cached index");
  command->argv = command_line;
  sub->callback([&action, flags, command] {
    action = [flags, command] {
      command->sources = config_sources(*flags);
      command->output_dir_given = flag_sets_key(*flags, "output_dir");
      return run_train_command(*command);
    };
  });
}

}  // namespace imagenet::cli
