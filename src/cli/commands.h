// Registration of the subcommands on the CLI11 app. Each registers its flags and sets
// `action` to what runs when it is chosen. Private to src/cli.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace imagenet::cli {

using CommandAction = std::function<int()>;

/// `command_line` is the whole argv, which `--devices N` starts again once per worker.
void register_train_command(CLI::App& app, CommandAction& action,
                            const std::vector<std::string>& command_line);
void register_config_command(CLI::App& app, CommandAction& action);
void register_prepare_command(CLI::App& app, CommandAction& action);
void register_bench_command(CLI::App& app, CommandAction& action,
                            const std::vector<std::string>& command_line);
void register_subset_command(CLI::App& app, CommandAction& action);
void register_pack_command(CLI::App& app, CommandAction& action);
void register_lrfind_command(CLI::App& app, CommandAction& action,
                             const std::vector<std::string>& command_line);

}  // namespace imagenet::cli
