// Implements app/config_flags.h.
#include "imagenet/app/config_flags.h"

#include <CLI/CLI.hpp>

#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

// The named flags of the seeds' train.py (and --weights), each the same as --set <key>=<value>;
// their help is the key table's (config_key_doc), so a flag and docs/CONFIG.md never disagree.
const char* const kNamedFlags[] = {
    "epochs",    "batch_size", "lr",         "num_workers",   "precision",  "data_root", "devices",
    "num_nodes", "seed",       "output_dir", "wandb_project", "wandb_name", "weights"};

/// A key's help as a flag shows it: the key table's text without Markdown, its type and default.
std::string flag_help(const std::string& key) {
  const ConfigKeyDoc doc = config_key_doc(key);
  std::string help;
  for (char c : doc.help)
    if (c != '`') help += c;
  return str_cat(help, " (", doc.type, "; default ", doc.default_value, ")");
}

}  // namespace

void add_config_flags(CLI::App& app, ConfigFlags& flags) {
  app.add_option("--config,-c", flags.config_file, "YAML config file (see configs/)");
  flags.named_values.resize(std::size(kNamedFlags));
  for (size_t i = 0; i < std::size(kNamedFlags); ++i) {
    const std::string key = kNamedFlags[i];
    std::string dashed = key;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    std::string names = "--" + key + (dashed != key ? ",--" + dashed : "");
    CLI::Option* option = app.add_option(names, flags.named_values[i], flag_help(key));
    flags.named.emplace_back(key, option);
  }
  app.add_flag("--no_wandb,--no-wandb", flags.no_wandb,
               "Turn W&B off (use_wandb: false): no names in the event files, no wandb sync");
  app.add_option("--set", flags.sets, "Override any config key: --set key=value (repeatable)")
      ->type_name("KEY=VALUE");
}

ConfigSources config_sources(const ConfigFlags& flags) {
  ConfigSources sources;
  sources.file = flags.config_file;
  for (size_t i = 0; i < flags.named.size(); ++i) {
    const auto& [key, option] = flags.named[i];
    if (option->count() == 0) continue;
    RawValue value;
    value.text = flags.named_values[i];
    value.origin = "--" + key;
    sources.overrides.push_back({key, value});
  }
  if (flags.no_wandb) {
    RawValue value;
    value.text = "false";
    value.origin = "--no_wandb";
    sources.overrides.push_back({"use_wandb", value});
  }
  for (const auto& assignment : flags.sets)
    sources.overrides.push_back(parse_set_override(assignment));
  return sources;
}

bool flag_sets_key(const ConfigFlags& flags, const std::string& key) {
  for (const auto& [name, option] : flags.named)
    if (name == key && option->count() > 0) return true;
  for (const auto& assignment : flags.sets) {
    auto eq = assignment.find('=');
    std::string name = str_trim(assignment.substr(0, eq));
    std::replace(name.begin(), name.end(), '-', '_');
    if (name == key) return true;
  }
  return false;
}

void add_class_choice_flags(CLI::App& app, int& num_classes, int64_t& subset_seed, int& threads,
                            const std::string& threads_help) {
  app.add_option("--num_classes,--num-classes,--subset", num_classes,
                 "Classes to take (0: all), chosen as training's num_classes chooses them")
      ->capture_default_str();
  app.add_option("--subset_seed,--subset-seed", subset_seed, "Seed of the choice")
      ->capture_default_str();
  app.add_option("--threads", threads, threads_help)->capture_default_str();
}

void add_s3_flags(CLI::App& app, S3SettingsRequest& s3) {
  // The keys' help speaks of data_root; here the flags serve --src and --dst.
  auto help = [](const std::string& key) {
    std::string text = flag_help(key);
    const std::string data_root = "data_root s3://: ";
    if (str_starts_with(text, data_root)) text = "s3:// ends: " + text.substr(data_root.size());
    return text;
  };
  app.add_option("--s3_endpoint,--s3-endpoint", s3.endpoint, help("s3_endpoint"));
  app.add_option("--s3_region,--s3-region", s3.region, help("s3_region"));
  app.add_option("--s3_profile,--s3-profile", s3.profile, help("s3_profile"));
}

}  // namespace imagenet
