// Implements config.h: batch limits, origins, and the names of enum values, which come from the
// key table (src/config/config_keys.cpp) so that each spelling is written once.
#include "imagenet/config/config.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "config_keys.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

/// What the key table prints for `key` in a Config where `store` has put one value: the key's
/// own printer, so the spellings are those the table parses (its first spelling of each value).
std::string spelling_in_table(const std::string& key, const std::function<void(Config&)>& store) {
  const config_detail::ConfigKey* entry = config_detail::find_config_key(key);
  IMAGENET_CHECK(entry != nullptr, "no config key ", key);
  Config config;
  store(config);
  return entry->get(config);
}

}  // namespace

int64_t BatchLimit::apply(int64_t available) const {
  if (!is_fraction) return std::min<int64_t>(available, static_cast<int64_t>(value));
  int64_t n = static_cast<int64_t>(std::floor(value * static_cast<double>(available)));
  return std::max<int64_t>(std::min<int64_t>(n, available), available > 0 ? 1 : 0);
}

std::string Config::origin_of(const std::string& key) const {
  auto it = origins.find(key);
  return it == origins.end() ? std::string("the default") : it->second;
}

std::string run_folder(const Config& config) {
  const OutputConfig& out = config.output;
  const bool named = config.origins.count("name") > 0 || config.origins.count("wandb_name") > 0;
  if (!named || out.name.empty()) return out.output_dir;
  std::string dir = out.output_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.rfind('/');
  const std::string last = slash == std::string::npos ? dir : dir.substr(slash + 1);
  if (last == out.name) return dir;
  return dir == "." ? out.name : dir + "/" + out.name;
}

bool wandb_requested(const Config& config) {
  const OutputConfig& out = config.output;
  const bool turned_off = !out.use_wandb && config.origins.count("use_wandb") > 0;
  return !turned_off && (out.use_wandb || !out.wandb_project.empty());
}

std::string to_string(Precision value) {
  return spelling_in_table("precision", [value](Config& c) { c.train.precision = value; });
}

std::string to_string(LrScaling value) {
  return spelling_in_table("lr_scaling", [value](Config& c) { c.optim.lr_scaling = value; });
}

std::string to_string(OptimizerKind value) {
  return spelling_in_table("optimizer", [value](Config& c) { c.optim.optimizer = value; });
}

std::string to_string(LrScheduler value) {
  return spelling_in_table("lr_scheduler", [value](Config& c) { c.optim.lr_scheduler = value; });
}

std::string to_string(WandbSync value) {
  return spelling_in_table("wandb_sync", [value](Config& c) { c.output.wandb_sync = value; });
}

}  // namespace imagenet
