// The table of config keys: each key is declared once, with its section, type, help text,
// parser (with range checks that name the origin) and printer. Private to src/config.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/config/config_loader.h"

namespace imagenet::config_detail {

struct ConfigKey {
  std::string name;
  std::string section;
  std::string type;  ///< as shown in docs: "int", "float", "bool", "string", "one of ..."
  std::string help;
  std::vector<std::string> aliases;
  std::function<void(Config&, const RawValue&)> set;
  std::function<std::string(const Config&)> get;  ///< YAML text of the current value
};

const std::vector<ConfigKey>& config_keys();

/// Looks a key up by name or alias; nullptr when unknown.
const ConfigKey* find_config_key(const std::string& name);

/// The known key closest to `name` (for "did you mean"), or "" when none is close.
std::string closest_config_key(const std::string& name);

}  // namespace imagenet::config_detail
