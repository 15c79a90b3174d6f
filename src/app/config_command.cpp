// Implements app/config_command.h.
#include "imagenet/app/config_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/config/config_loader.h"

namespace imagenet {

void register_config_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "config", "Print the resolved config of --config and flags, or the key reference");
  auto flags = std::make_shared<ConfigFlags>();
  auto reference = std::make_shared<bool>(false);
  add_config_flags(*sub, *flags);
  sub->add_flag("--reference", *reference,
                "Print the Markdown reference of every key (docs/CONFIG.md)");
  sub->callback([&action = context.action, flags, reference] {
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

}  // namespace imagenet
