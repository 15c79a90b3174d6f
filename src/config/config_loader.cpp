// Implements config_loader.h: the layers (defaults, YAML, overrides), validation, and the YAML
// and Markdown writers. yaml-cpp is used here and nowhere else.
#include "imagenet/config/config_loader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "config_keys.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "yaml_checks.h"

namespace imagenet {
namespace {

using config_detail::check_yaml_text;
using config_detail::config_keys;
using config_detail::ConfigKey;
using config_detail::find_config_key;

RawValue raw_from_node(const YAML::Node& node, const std::string& origin) {
  RawValue v;
  v.origin = origin;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      v.is_null = true;
      break;
    case YAML::NodeType::Scalar:
      v.text = node.Scalar();
      break;
    case YAML::NodeType::Sequence:
      v.is_list = true;
      for (const auto& item : node)
        v.items.push_back(item.IsScalar() ? item.Scalar() : std::string("<nested>"));
      break;
    case YAML::NodeType::Map:
      v.is_map = true;
      break;
  }
  return v;
}

YAML::Node parse_yaml(const std::string& text, const std::string& name) {
  try {
    check_yaml_text(text, name);
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw UsageError(str_cat(name, ":", e.mark.line + 1, ":", e.mark.column + 1,
                             ": not valid here: nested more than ", e.depth(),
                             " levels deep. A config is flat `key: value` lines."));
  } catch (const YAML::Exception& e) {
    throw UsageError(
        str_cat(name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not valid YAML: ", e.msg));
  }
}

/// "unknown key 'x' (did you mean 'y'?)" and where every key is listed.
std::string unknown_key_message(const std::string& name) {
  std::string hint = config_detail::closest_config_key(name);
  return str_cat("unknown key '", name, "'",
                 hint.empty() ? "" : str_cat(" (did you mean '", hint, "'?)"),
                 ". Every key is listed in docs/CONFIG.md.");
}

void apply_value(Config& config, const std::string& name, const RawValue& value,
                 std::map<std::string, std::string>* set_in_this_layer) {
  const ConfigKey* key = find_config_key(name);
  if (key == nullptr) throw UsageError(str_cat(value.origin, ": ", unknown_key_message(name)));
  // Values are one line of printable text: a control character (a newline from an escape
  // such as "\n", a tab, ESC) would not survive config_to_yaml and the checkpoint's copy.
  auto printable = [](const std::string& text) {
    return std::none_of(text.begin(), text.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  bool ok = printable(value.text);
  for (const auto& item : value.items) ok = ok && printable(item);
  if (!ok)
    throw UsageError(str_cat(value.origin, ": the value of '", name,
                             "' holds a control character (a newline, tab or other); config "
                             "values are one line of printable text."));
  if (set_in_this_layer) {
    // `epochs` and its alias `max_epochs` in one file must agree.
    auto it = set_in_this_layer->find(key->name);
    if (it != set_in_this_layer->end()) {
      Config probe = config;
      key->set(probe, value);
      if (key->get(probe) != key->get(config))
        throw UsageError(str_cat(value.origin, ": '", name, "' sets ", key->name,
                                 " again, to a different value than ", it->second,
                                 ". Keep one of the two."));
    }
    (*set_in_this_layer)[key->name] = value.origin;
  }
  key->set(config, value);
  config.origins[key->name] = value.origin;
}

void apply_yaml(Config& config, const std::string& text, const std::string& name) {
  YAML::Node root = parse_yaml(text, name);
  if (root.IsNull()) return;  // an empty file sets nothing
  if (!root.IsMap())
    throw UsageError(str_cat(name, ":", root.Mark().line + 1,
                             ": the config must be a mapping of `key: value` lines."));
  std::map<std::string, std::string> seen;     // canonical key -> where it was set
  std::map<std::string, std::string> written;  // key as written -> where
  for (const auto& entry : root) {
    std::string origin = str_cat(name, ":", entry.first.Mark().line + 1);
    if (!entry.first.IsScalar())
      throw UsageError(str_cat(origin, ": keys must be plain names such as `lr`."));
    // yaml-cpp keeps both entries of a key written twice, and the later one would win silently.
    auto [first, inserted] = written.emplace(entry.first.Scalar(), origin);
    if (!inserted)
      throw UsageError(str_cat(origin, ": '", entry.first.Scalar(), "' is set twice, here and at ",
                               first->second, ". A YAML mapping holds each key once: keep one."));
    apply_value(config, entry.first.Scalar(), raw_from_node(entry.second, origin), &seen);
  }
}

std::string run_name_from_file(const std::string& file) {
  if (file.empty()) return "run";
  return std::filesystem::path(file).stem().string();
}

}  // namespace

Config load_config(const ConfigSources& sources) {
  Config config;
  if (!sources.file.empty()) {
    if (!path_exists(sources.file))
      throw UsageError(str_cat("config file not found: ", sources.file,
                               ". The shipped configs are in configs/."));
    if (is_directory(sources.file))
      throw UsageError(str_cat("config file ", sources.file, " is a directory, not a YAML file."));
    apply_yaml(config, read_file(sources.file), sources.file);
  } else if (!sources.yaml_text.empty()) {
    apply_yaml(config, sources.yaml_text, sources.yaml_origin);
  }
  for (const auto& override_value : sources.overrides)
    apply_value(config, override_value.key, override_value.value, nullptr);

  if (config.output.name.empty())
    config.output.name = !config.output.wandb_name.empty() ? config.output.wandb_name
                                                           : run_name_from_file(sources.file);
  validate_config(config);
  return config;
}

ConfigOverride parse_set_override(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError(str_cat("--set ", assignment, ": expected key=value, e.g. --set lr=0.2"));
  ConfigOverride out;
  out.key = str_trim(assignment.substr(0, eq));
  std::string text = assignment.substr(eq + 1);
  std::string origin = "--set " + assignment;
  YAML::Node node = parse_yaml(text.empty() ? std::string("~") : text, origin);
  out.value = raw_from_node(node, origin);
  if (!out.value.is_list && !out.value.is_map && !out.value.is_null) out.value.text = text;
  return out;
}

void validate_config(const Config& c) {
  auto where = [&](const std::string& key) { return c.origin_of(key); };
  // A warmup longer than the run is allowed (a short check run of a long recipe, as Lightning
  // and timm allow it): the trainer warns that the LR never reaches its peak.
  // Several processes: data-parallel training, which strategy: single_device rules out.
  const bool several = c.dist.devices != 1 || c.dist.num_nodes > 1;
  if (c.dist.strategy == "single_device" && several)
    throw UsageError(
        str_cat(where("strategy"), ": strategy: single_device runs one process, but ",
                "devices is ", c.dist.devices == 0 ? "auto" : std::to_string(c.dist.devices), " (",
                where("devices"), ") and num_nodes ", c.dist.num_nodes, " (", where("num_nodes"),
                "). Use strategy: ddp (or auto) to train on several, or devices: 1 "
                "and num_nodes: 1."));
  if (c.output.monitor == "val_ema/acc1" && !c.ema.model_ema)
    throw UsageError(str_cat(where("monitor"),
                             ": monitor: val_ema/acc1 ranks checkpoints by the EMA weights, but "
                             "model_ema is off (",
                             where("model_ema"), "). Set model_ema: true, or monitor: val/acc1."));
  const size_t step_epochs = c.optim.lr_step_epochs.size();
  if (c.optim.lr_scheduler == LrScheduler::kStep && step_epochs != 1)
    throw UsageError(str_cat(where("lr_scheduler"),
                             ": lr_scheduler: step decays every N epochs and needs lr_step_epochs: "
                             "[N] (one number, e.g. [30]); lr_step_epochs has ",
                             step_epochs, " (", where("lr_step_epochs"),
                             "). For several epochs of your choice use lr_scheduler: multistep."));
  if (c.optim.lr_scheduler == LrScheduler::kMultiStep && step_epochs == 0)
    throw UsageError(str_cat(where("lr_scheduler"),
                             ": lr_scheduler: multistep needs the epochs of its decays in "
                             "lr_step_epochs, e.g. [30, 60, 80]."));
  if (c.optim.bce_target_thresh > 0 && !c.optim.bce_loss)
    throw UsageError(str_cat(where("bce_target_thresh"),
                             ": bce_target_thresh applies to the binary cross-entropy loss, "
                             "but bce_loss is off (",
                             where("bce_loss"), "). Set bce_loss: true."));
  if (c.augment.aug_repeats > 0 && c.data.data_format == DataFormat::kShards)
    throw UsageError(str_cat(where("aug_repeats"),
                             ": repeated augmentation needs data_format: folders; shards are "
                             "streamed in their own order (",
                             where("data_format"), "). Set aug_repeats: 0."));
  const int val_crop = c.data.val_img_size > 0 ? c.data.val_img_size : c.data.img_size;
  if (c.data.val_resize_size > 0 && c.data.val_resize_size < val_crop)
    throw UsageError(str_cat(where("val_resize_size"), ": val_resize_size ", c.data.val_resize_size,
                             " is smaller than the validation crop ", val_crop,
                             " (val_img_size, or img_size). Use at least ", val_crop,
                             ", or 0 to derive it from val_crop_ratio."));
  if (c.dist.dist_backend == DistBackendChoice::kNccl && c.train.accelerator == Accelerator::kCpu)
    throw UsageError(str_cat(where("dist_backend"),
                             ": dist_backend: nccl needs CUDA GPUs, but accelerator is cpu (",
                             where("accelerator"), "). Use dist_backend: gloo or auto."));
}

std::string config_to_yaml(const Config& config) {
  std::string out;
  std::string section;
  const Config defaults;
  for (const auto& key : config_keys()) {
    if (key.section != section) {
      section = key.section;
      out += str_cat(out.empty() ? "" : "\n", "# --- ", section, " ---\n");
    }
    std::string line = key.name + ": " + key.get(config);
    auto origin = config.origins.find(key.name);
    if (origin != config.origins.end() && key.get(config) != key.get(defaults))
      line += "  # " + origin->second;
    out += line + "\n";
  }
  return out;
}

std::string config_reference_markdown() {
  std::string out =
      "# Configuration reference\n"
      "\n"
      "<!-- Generated by `imagenet_train config --reference` from src/config/config_keys.cpp;\n"
      "     tests/config/config_docs_test.cpp fails when this file and the code disagree. -->\n"
      "\n"
      "A run's configuration is built in layers, each overriding the one before:\n"
      "\n"
      "1. the defaults below;\n"
      "2. the YAML file given with `--config` (flat `key: value` lines, as in `configs/`);\n"
      "3. the named flags: `--epochs --batch_size --lr --num_workers --precision --data_root\n"
      "   --devices --num_nodes --seed --output_dir --wandb_project --wandb_name --weights\n"
      "   --no_wandb` (dashes and underscores both work: `--batch-size`);\n"
      "4. `--set key=value`, any key, repeatable (`--set crop_scale=[0.25,1.0]`).\n"
      "\n"
      "An unknown key, a wrong type or a value out of range stops the run before anything is\n"
      "written, with exit code 2 and a message naming the file and line (or the flag). The\n"
      "resolved configuration is printed at start, saved as `config.yaml` in the run folder and\n"
      "stored inside every checkpoint. `imagenet_train config --config X` prints it without\n"
      "training.\n";
  std::string section;
  for (const auto& key : config_keys()) {
    const ConfigKeyDoc doc = config_key_doc(key.name);
    if (doc.section != section) {
      section = doc.section;
      out +=
          str_cat("\n## ", section, "\n\n| key | type | default | meaning |\n|---|---|---|---|\n");
    }
    std::string name = "`" + doc.name + "`";
    for (const auto& alias : doc.aliases) name += " (alias `" + alias + "`)";
    out +=
        str_cat("| ", name, " | ", doc.type, " | `", doc.default_value, "` | ", doc.help, " |\n");
  }
  return out;
}

std::string config_value_text(const Config& config, const std::string& key) {
  const ConfigKey* k = find_config_key(key);
  IMAGENET_CHECK(k != nullptr, "no config key ", key);
  return k->get(config);
}

std::vector<std::string> config_key_names() {
  std::vector<std::string> names;
  for (const auto& key : config_keys()) names.push_back(key.name);
  return names;
}

ConfigKeyDoc config_key_doc(const std::string& key) {
  const ConfigKey* k = find_config_key(key);
  if (k == nullptr) throw UsageError("config_key_doc: " + unknown_key_message(key));
  return {k->name, k->aliases, k->section, k->type, k->get(Config{}), k->help};
}

}  // namespace imagenet
