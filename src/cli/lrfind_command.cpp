// `imagenet_train lrfind --config X [--min_lr A --max_lr B --num_training N ...]`, also started
// as `imagenet_lrfind`: Lightning's LR finder on the run's own training step.
#include <cmath>
#include <cstdlib>

#include "commands.h"
#include "config_flags.h"
#include "imagenet/lrfind/lr_find_command.h"
#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet::cli {
namespace {

/// "none" or "off" turn the early stop off (Lightning's None); otherwise a number.
double parse_early_stop_threshold(const std::string& text) {
  const std::string t = str_to_lower(str_trim(text));
  if (t == "none" || t == "off") return 0;
  char* end = nullptr;
  const double value = std::strtod(t.c_str(), &end);
  IMAGENET_USAGE_CHECK(!t.empty() && *end == '\0' && std::isfinite(value),
                       "--early_stop_threshold ", text,
                       ": expected a number such as 4, or none to sweep the whole range.");
  return value;
}

}  // namespace

void register_lrfind_command(CLI::App& app, CommandAction& action,
                             const std::vector<std::string>& command_line) {
  CLI::App* sub = app.add_subcommand(
      "lrfind",
      "Find a learning rate: sweep it over a few steps of real training and suggest the one "
      "where the loss falls fastest (Lightning's LR finder; also `imagenet_lrfind`)");
  auto flags = std::make_shared<ConfigFlags>();
  auto command = std::make_shared<LrFindCommand>();
  auto early_stop = std::make_shared<std::string>("4");
  auto mode = std::make_shared<std::string>("exponential");
  auto slope = std::make_shared<std::string>("lr");
  add_config_flags(*sub, *flags);
  LrSweepOptions& o = command->sweep;
  sub->add_option("--min_lr,--min-lr", o.min_lr, "First LR of the sweep (the optimizer's)")
      ->capture_default_str();
  sub->add_option("--max_lr,--max-lr", o.max_lr, "Last LR of the sweep")->capture_default_str();
  sub->add_option("--num_training,--num-training", o.num_training, "Steps of the sweep")
      ->capture_default_str();
  sub->add_option("--mode", *mode, "LR ramp: exponential or linear")
      ->check(CLI::IsMember({"exponential", "linear"}))
      ->capture_default_str();
  sub->add_option("--early_stop_threshold,--early-stop-threshold", *early_stop,
                  "Stop when the smoothed loss exceeds this many times the best; none: never")
      ->capture_default_str();
  sub->add_option("--beta", o.beta, "Smoothing of the loss (running average weight)")
      ->capture_default_str();
  sub->add_option("--slope", *slope,
                  "Differentiate the loss against the LR values (lr, Lightning >= 2.5.3) or "
                  "the step index (index, Lightning before 2.5.3)")
      ->check(CLI::IsMember({"lr", "index"}))
      ->capture_default_str();
  sub->add_option("--skip_begin,--skip-begin", command->rule.skip_begin,
                  "Points left out of the suggestion at the start")
      ->capture_default_str();
  sub->add_option("--skip_end,--skip-end", command->rule.skip_end,
                  "Points left out of the suggestion at the end")
      ->capture_default_str();
  sub->add_flag("--update_config,--update-config", command->update_config,
                "Write the suggested lr (per 256 images) into the --config file, in place");
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->add_flag("--rescan", command->rescan,
                "List the data folders again instead of using the cached index");
  command->argv = command_line;
  sub->callback([&action, flags, command, early_stop, mode, slope] {
    action = [flags, command, early_stop, mode, slope] {
      command->sources = config_sources(*flags);
      command->sweep.early_stop_threshold = parse_early_stop_threshold(*early_stop);
      command->sweep.mode = *mode == "linear" ? LrSweepMode::kLinear : LrSweepMode::kExponential;
      command->rule.slope = *slope == "index" ? LrSlope::kIndex : LrSlope::kLr;
      return run_lr_find_command(*command);
    };
  });
}

}  // namespace imagenet::cli
