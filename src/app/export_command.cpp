// Implements app/export_command.h: the tensors in the model's own order (torchvision's
// state_dict order), float32 as trained, and the metadata a user of the file needs to feed it
// images: arch, num_classes, classes (a JSON list, label order), preprocessing (a JSON object).
#include "imagenet/app/export_command.h"

#include <CLI/CLI.hpp>
#include <memory>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/safetensors.h"
#include "imagenet/config/config_loader.h"
#include "imagenet/logging/result_files.h"
#include "imagenet/model/model_weights.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/inference.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct ExportCommand {
  std::string checkpoint_path;
  std::string out_path;
  bool ema = false;  ///< the checkpoint's EMA weights (model_ema) instead of its model's
};

std::string json_list(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(json_string(item));
  return "[" + str_join(quoted, ", ") + "]";
}

/// The validation transform of `config` as a JSON object (what predict and validate apply).
std::string preprocessing_json(const Config& config) {
  const int size = config.data.val_img_size > 0 ? config.data.val_img_size : config.data.img_size;
  return str_cat(
      "{\"crop\": ", size, ", \"crop_ratio\": ", format_number(config.data.val_crop_ratio),
      ", \"transform\": \"center crop of crop_ratio x the shorter side, resized to crop x crop "
      "with Pillow's antialiased bilinear filter, RGB, /255, normalized\", \"mean\": [",
      format_number(kImageNetMean[0]), ", ", format_number(kImageNetMean[1]), ", ",
      format_number(kImageNetMean[2]), "], \"std\": [", format_number(kImageNetStd[0]), ", ",
      format_number(kImageNetStd[1]), ", ", format_number(kImageNetStd[2]), "]}");
}

int run_export_command(const ExportCommand& command) {
  log_init({/*console=*/true, false, ""});
  const CheckpointData checkpoint = load_checkpoint(command.checkpoint_path);
  ConfigSources sources;
  sources.yaml_text = checkpoint.config_yaml;
  sources.yaml_origin = command.checkpoint_path + " (its saved config)";
  const Config config = load_config(sources);
  const int64_t num_classes = static_cast<int64_t>(checkpoint.classes.size());

  // The model's names and order; every tensor checked against the checkpoint by loading it.
  ResNet model = make_eval_model(checkpoint.arch, num_classes, c10::Device(c10::kCPU), false);
  IMAGENET_USAGE_CHECK(!command.ema || !checkpoint.state_dict_ema.empty(),
                       "--ema: ", command.checkpoint_path,
                       " holds no EMA weights (its run was trained without model_ema).");
  const auto& weights = command.ema ? checkpoint.state_dict_ema : checkpoint.state_dict;
  NamedTensors tensors;
  for (const auto& [name, tensor] : model_weights(*model)) {
    auto it = weights.find(name);
    IMAGENET_USAGE_CHECK(it != weights.end(), command.checkpoint_path, " has no ", name,
                         ": it does not hold a ", checkpoint.arch, ".");
    IMAGENET_USAGE_CHECK(it->second.sizes() == tensor.sizes(), command.checkpoint_path, ": ", name,
                         " has shape ", it->second.sizes(), ", a ", checkpoint.arch, " of ",
                         num_classes, " classes has ", tensor.sizes(), ".");
    tensors.emplace_back(name, it->second.contiguous());
  }
  std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"arch", checkpoint.arch},
      {"num_classes", std::to_string(num_classes)},
      {"classes", json_list(checkpoint.classes)},
      {"preprocessing", preprocessing_json(config)},
      {"source", command.checkpoint_path},
      {"epoch", std::to_string(checkpoint.progress.epoch - 1)},
      {"imagenet_train_version", checkpoint.version}};
  const std::string acc_key = command.ema ? "val_ema/acc1" : "val/acc1";
  if (auto it = checkpoint.metrics.find(acc_key); it != checkpoint.metrics.end())
    metadata[acc_key] = format_number(it->second);
  if (command.ema) metadata["weights"] = "ema";
  save_safetensors(command.out_path, tensors, metadata);
  log_info(str_cat("wrote ", command.out_path, ": ", tensors.size(), " tensors of a ",
                   checkpoint.arch, " (", num_classes,
                   " classes) under torchvision's names; in Python: "
                   "torchvision.models.",
                   checkpoint.arch, "(num_classes=", num_classes,
                   ").load_state_dict(safetensors.torch.load_file(\"", command.out_path, "\"))"));
  return 0;
}

}  // namespace

void register_export_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "export", "Write a checkpoint's weights as safetensors under torchvision's names");
  auto command = std::make_shared<ExportCommand>();
  sub->add_option("--checkpoint", command->checkpoint_path, "A run's checkpoint (.ckpt)")
      ->required();
  sub->add_option("--out,-o", command->out_path, "The safetensors file to write")->required();
  sub->add_flag("--ema", command->ema,
                "Export the checkpoint's EMA weights (a run with model_ema) instead of its model");
  sub->callback([&action = context.action, command] {
    action = [command] { return run_export_command(*command); };
  });
}

}  // namespace imagenet
