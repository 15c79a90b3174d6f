// Implements app/app.h: subcommand dispatch and the mapping of errors to exit codes.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "imagenet/app/app.h"
#include "imagenet/app/bench_data_command.h"
#include "imagenet/app/bench_ddp_command.h"
#include "imagenet/app/bench_model_command.h"
#include "imagenet/app/config_command.h"
#include "imagenet/app/export_command.h"
#include "imagenet/app/lrfind_command.h"
#include "imagenet/app/pack_command.h"
#include "imagenet/app/predict_command.h"
#include "imagenet/app/preflight_command.h"
#include "imagenet/app/prepare_command.h"
#include "imagenet/app/subset_command.h"
#include "imagenet/app/train_command.h"
#include "imagenet/app/validate_command.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/build_info.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/memory.h"

namespace imagenet {
namespace {

/// `imagenet_train --config X` means `imagenet_train train --config X`, and a binary started as
/// imagenet_lrfind means `imagenet_train lrfind`.
std::vector<std::string> normalized_arguments(int argc, char** argv,
                                              const std::vector<std::string>& subcommands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string program = std::filesystem::path(argv[0]).filename().string();
  if (program == "imagenet_lrfind") {
    args.insert(args.begin(), "lrfind");
    return args;
  }
  const bool names_subcommand = !args.empty() && std::find(subcommands.begin(), subcommands.end(),
                                                           args[0]) != subcommands.end();
  const bool top_level_flag =
      !args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "--version");
  if (!names_subcommand && !top_level_flag && !args.empty()) args.insert(args.begin(), "train");
  return args;
}

}  // namespace

int app_main(int argc, char** argv) {
  tune_malloc_for_tensors();
  CLI::App app{
      "imagenet_train: trains ResNet classifiers on ImageNet-style image folders.\n"
      "  imagenet_train --config configs/stress_test.yaml     train (see docs/)\n"
      "  imagenet_train lrfind --config X                     find a learning rate\n"
      "  imagenet_train preflight --config X                  check a run before starting it\n"
      "  imagenet_train <subcommand> --help                   help on one command"};
  app.name("imagenet_train");
  app.set_version_flag("--version", str_cat("imagenet_train ", imagenet_version(), " (git ",
                                            git_commit(), ")\n", compat::library_versions()));
  app.require_subcommand(1);
  CommandAction action;
  SubcommandContext context{app, action, std::vector<std::string>(argv, argv + argc)};
  register_train_command(context);
  register_config_command(context);
  register_prepare_command(context);
  register_bench_model_command(context);
  register_bench_data_command(context);
  register_bench_ddp_command(context);
  register_subset_command(context);
  register_pack_command(context);
  register_lrfind_command(context);
  register_validate_command(context);
  register_predict_command(context);
  register_export_command(context);
  register_preflight_command(context);

  std::vector<std::string> subcommands;
  for (const CLI::App* sub : app.get_subcommands({})) subcommands.push_back(sub->get_name());
  std::vector<std::string> args = normalized_arguments(argc, argv, subcommands);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed

  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\nRun with --help for the options.\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  try {
    return action ? action() : 2;
  } catch (const UsageError& e) {
    log_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    log_error(e.what());
    return 1;
  }
}

}  // namespace imagenet
