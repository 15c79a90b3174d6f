// `imagenet_train config`: prints the resolved config (or the key reference) without training.
#include <iostream>

#include "commands.h"
#include "config_flags.h"
#include "imagenet/config/config_loader.h"

namespace imagenet::cli {

void register_config_command(CLI::App& app, CommandAction& action) {
  CLI::App* sub = app.add_subcommand(
      "config", "Print the resolved config of --config and flags, or the key reference");
  auto flags = std::make_shared<ConfigFlags>();
  auto reference = std::make_shared<bool>(false);
  add_config_flags(*sub, *flags);
  sub->add_flag("--reference", *reference,
                "Print the Markdown reference of every key (docs/CONFIG.md)");
  sub->callback([&action, flags, reference] {
    action = [flags, reference] {
      if (*reference) {
        std::cout << config_reference_markdown();
        return 0;
      }
      Config config = load_config(config_sources(*flags));
      std::cout << config_to_yaml(config);
      return 0;
    };
  });
}

}  // namespace imagenet::cli
