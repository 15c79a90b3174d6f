// The flags that build a run's config (--config, the seeds' named flags, --set), shared by
// every subcommand that reads a config, and the class-choice and S3 flags that `subset` and
// `pack` share.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "imagenet/config/config_loader.h"
#include "imagenet/s3/aws_config.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace imagenet {

struct ConfigFlags {
  std::string config_file;
  std::vector<std::string> sets;
  bool no_wandb = false;
  /// (key, option) for each named flag that maps onto a config key.
  std::vector<std::pair<std::string, CLI::Option*>> named;
  std::vector<std::string> named_values;
};

/// Registers --config, the named flags and --set on `app`.
void add_config_flags(CLI::App& app, ConfigFlags& flags);

/// The config layers the flags describe: the file, then named flags, then --set.
ConfigSources config_sources(const ConfigFlags& flags);

/// True when the user gave `key` on the command line (named flag or --set).
bool flag_sets_key(const ConfigFlags& flags, const std::string& key);

/// --num_classes (--subset) and --subset_seed: which classes a copy takes, chosen as training's
/// num_classes and subset_seed choose them; and --threads, the reads in flight.
void add_class_choice_flags(CLI::App& app, int& num_classes, int64_t& subset_seed, int& threads,
                            const std::string& threads_help);

/// --s3_endpoint, --s3_region and --s3_profile for the s3:// ends of a command without a config
/// (subset, pack): the same meaning as the config keys of the same names (docs/CONFIG.md).
void add_s3_flags(CLI::App& app, S3SettingsRequest& s3);

}  // namespace imagenet
