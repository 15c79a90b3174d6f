// Builds a Config from its layers (defaults, a YAML file or text, command-line overrides),
// validates it, and writes it back out as YAML and as the Markdown key reference.
#pragma once

#include <string>
#include <vector>

#include "imagenet/config/config.h"

namespace imagenet {

/// A value as the user wrote it, before it is parsed for its key.
struct RawValue {
  std::string text;                ///< scalar text: "0.1", "true", "16-mixed"
  std::vector<std::string> items;  ///< list items when is_list
  bool is_list = false;
  bool is_null = false;
  bool is_map = false;
  std::string origin;  ///< where it was written: "configs/x.yaml:12", "--lr", "--set"
};

struct ConfigOverride {
  std::string key;
  RawValue value;
};

struct ConfigSources {
  /// YAML file to read; empty for none.
  std::string file;
  /// YAML text already in memory (a checkpoint's config), used when `file` is empty.
  std::string yaml_text;
  /// Name of yaml_text in messages, e.g. "checkpoints/last.ckpt (saved config)".
  std::string yaml_origin;
  /// Applied in order after the file.
  std::vector<ConfigOverride> overrides;
};

/// Builds and validates the config. Throws UsageError naming the file, line and key.
Config load_config(const ConfigSources& sources);

/// Parses one `--set key=value`; the value may be a YAML flow list such as [0.2, 1.0].
ConfigOverride parse_set_override(const std::string& assignment);

/// Checks ranges and combinations of keys; throws UsageError naming the keys and their origin.
void validate_config(const Config& config);

/// Every key, grouped by section with one comment line each: the run folder's config.yaml and
/// the copy inside each checkpoint. load_config reads it back to the same Config.
std::string config_to_yaml(const Config& config);

/// The reference of every key (type, default, meaning) that docs/CONFIG.md holds.
std::string config_reference_markdown();

/// The value of one key as YAML text, e.g. "0.357".
std::string config_value_text(const Config& config, const std::string& key);

/// Canonical key names in table order.
std::vector<std::string> config_key_names();

/// One key as docs/CONFIG.md describes it, for the help of command-line flags.
struct ConfigKeyDoc {
  std::string name;                  ///< canonical name, e.g. "batch_size"
  std::vector<std::string> aliases;  ///< other accepted names, e.g. "max_epochs" for epochs
  std::string section;               ///< e.g. "Training"
  std::string type;                  ///< e.g. "int, >= 1" or "one of: 32, 16-mixed, bf16-mixed"
  std::string default_value;         ///< YAML text of the default, e.g. "256"
  std::string help;                  ///< the meaning; Markdown (`names` in backticks)
};

/// The documentation of `key`, given by name or alias (dashes work as underscores). Throws
/// UsageError for an unknown key, naming the closest known one.
ConfigKeyDoc config_key_doc(const std::string& key);

}  // namespace imagenet
