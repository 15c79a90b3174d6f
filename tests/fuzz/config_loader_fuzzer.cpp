// Fuzz target: the config loader on any text: a config file's YAML, and its first line as a
// `--set key=value`. UsageError is the only answer allowed for bad input; a config that loads
// must write back (config_to_yaml) to YAML that loads to the same config.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "imagenet/config/config_loader.h"
#include "imagenet/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ConfigSources sources;
  sources.yaml_text = text;
  sources.yaml_origin = "fuzz.yaml";
  const size_t newline = text.find('\n');
  try {
    if (newline != std::string::npos && newline > 0)
      sources.overrides.push_back(parse_set_override(text.substr(0, newline)));
  } catch (const UsageError&) {
  }
  Config config;
  try {
    config = load_config(sources);
  } catch (const UsageError&) {
    return 0;
  }
  ConfigSources again;
  again.yaml_text = config_to_yaml(config);
  again.yaml_origin = "written.yaml";
  Config reread;
  try {
    reread = load_config(again);
  } catch (const UsageError&) {
    fuzz::require(false, "config_to_yaml wrote a config that does not load");
  }
  for (const std::string& key : config_key_names())
    fuzz::require(config_value_text(config, key) == config_value_text(reread, key),
                  "a key changed on the way through config_to_yaml");
  return 0;
}
