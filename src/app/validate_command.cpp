// Implements app/validate_command.h: config and weights checked before anything runs, the
// model built and loaded as train/inference.h does it, the val loader and evaluate() exactly
// as the Trainer validates after each epoch (so a run's last.ckpt gives its last val/acc1).
#include "imagenet/app/validate_command.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/model_state.h"
#include "imagenet/logging/result_files.h"
#include "imagenet/train/evaluation.h"
#include "imagenet/train/inference.h"
#include "imagenet/train/run_session.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct ValidateCommand {
  ConfigFlags flags;
  std::string checkpoint_path;  ///< a run's .ckpt ("" with --weights)
  std::string json_path;
  std::string per_class_path;
  bool verbose = false;
  bool rescan = false;
  bool ema = false;  ///< the checkpoint's EMA weights (model_ema) instead of its model's
};

/// The run folder of a checkpoint in <run>/checkpoints/, where validate's log goes; else the
/// config's run folder.
std::string log_folder(const ValidateCommand& command, const Config& config) {
  std::filesystem::path dir = std::filesystem::path(command.checkpoint_path).parent_path();
  if (!command.checkpoint_path.empty() && dir.filename() == "checkpoints")
    return dir.parent_path().empty() ? "." : dir.parent_path().string();
  return run_folder(config);
}

void check_checkpoint_fits(const CheckpointData& ckpt, const std::string& path,
                           const Config& config, const DataSplits& data) {
  if (ckpt.arch != config.model.arch)
    throw UsageError(str_cat(path, " holds a ", ckpt.arch, " model; the config asks for ",
                             config.model.arch, " (", config.origin_of("model"),
                             "). Leave out --config to use the checkpoint's own, or set --set "
                             "model=",
                             ckpt.arch, "."));
  if (ckpt.classes != data.train->classes)
    throw UsageError(str_cat(path, " was trained on ", ckpt.classes.size(),
                             " classes that are not the ", data.train->classes.size(),
                             " classes of ", config.data.data_root,
                             " (data_root, num_classes, subset_seed): its labels would not "
                             "match the images'."));
}

int run_validate_command(const ValidateCommand& command, const std::vector<std::string>& argv) {
  log_init({/*console=*/true, command.verbose, ""});
  ConfigSources sources = config_sources(command.flags);
  CheckpointData checkpoint;
  const bool from_checkpoint = !command.checkpoint_path.empty();
  if (from_checkpoint) {
    checkpoint = load_checkpoint(command.checkpoint_path);
    if (sources.file.empty() && !checkpoint.config_yaml.empty()) {
      sources.yaml_text = checkpoint.config_yaml;
      sources.yaml_origin = command.checkpoint_path + " (its saved config)";
    }
  }
  const Config config = load_config(sources);
  // A checkpoint's saved config may name the weights its run started from: only --weights counts.
  const bool weights_given = flag_sets_key(command.flags, "weights") ||
                             (!from_checkpoint && !config.model.weights.empty());
  IMAGENET_USAGE_CHECK(from_checkpoint != weights_given,
                       "validate needs one of --checkpoint FILE (a run's .ckpt) or --weights "
                       "FILE (with --config naming the data), not ",
                       from_checkpoint ? "both." : "neither.");

  const DistEnv dist = resolve_run_env(config);
  const std::string output_dir = log_folder(command, config);
  if (dist.kind == LaunchKind::kLauncher)
    return launch_workers(argv, dist, "validation",
                          str_cat("Its log is in ", output_dir, "/logs/ (validate_*.log)."));

  RunSessionOptions options;
  options.command = "validate";
  options.title = "validate";
  options.output_dir = output_dir;
  options.verbose = command.verbose;
  options.rescan = command.rescan;
  options.check_data = [&](const DataSplits& data) {
    if (from_checkpoint) check_checkpoint_fits(checkpoint, command.checkpoint_path, config, data);
  };
  RunSession session = open_run_session(config, dist, options);
  const std::vector<std::string>& classes = session.data.train->classes;
  const int64_t num_classes = static_cast<int64_t>(classes.size());
  const bool channels_last = config.model.channels_last;

  ResNet model = make_eval_model(config.model.arch, num_classes, session.device, channels_last);
  const std::string source = from_checkpoint ? command.checkpoint_path : config.model.weights;
  IMAGENET_USAGE_CHECK(!command.ema || from_checkpoint,
                       "--ema needs --checkpoint: a weights file holds one set of weights.");
  IMAGENET_USAGE_CHECK(!command.ema || !checkpoint.state_dict_ema.empty(),
                       "--ema: ", command.checkpoint_path,
                       " holds no EMA weights (its run was trained without model_ema).");
  if (from_checkpoint) {
    load_model_state(*model, command.ema ? checkpoint.state_dict_ema : checkpoint.state_dict,
                     command.checkpoint_path);
    log_info(str_cat("weights: ", command.checkpoint_path, command.ema ? " (EMA)" : "", " (epoch ",
                     checkpoint.progress.epoch - 1, ", step ", checkpoint.progress.global_step,
                     ")"));
  } else {
    load_weights_into(model, config.model.weights, /*allow_new_classifier=*/false);
  }

  auto loader = open_run_loader(config, session.data.val, /*train=*/false, session.dist.rank,
                                session.dist.world_size, session.device);
  BatchTransfer transfer(session.device, channels_last);
  ClassCounts per_class(num_classes, session.device);
  const MetricSums sums =
      evaluate(model, *loader, transfer, *session.group,
               {config.train.precision, config.output.log_every_n_steps}, &per_class);
  if (session.dist.rank != 0) return 0;

  const int64_t images = sums.loss_samples;
  log_info(str_cat("validate ", source, ": val/loss ", str_printf("%.4f", sums.mean_loss()),
                   ", val/acc1 ", str_printf("%.4f", sums.acc1()), ", val/acc5 ",
                   str_printf("%.4f", sums.acc5()), " on ", images, " images of ",
                   session.data.val->split_dir));
  if (!command.json_path.empty()) {
    JsonObject json;
    json.add(from_checkpoint ? "checkpoint" : "weights", source)
        .add("arch", config.model.arch)
        .add("data", session.data.val->split_dir)
        .add("images", images)
        .add("classes", num_classes)
        .add("val_img_size",
             static_cast<int64_t>(config.data.val_img_size > 0 ? config.data.val_img_size
                                                               : config.data.img_size))
        .add("val_crop_ratio", config.data.val_crop_ratio)
        .add("precision", to_string(config.train.precision))
        .add("world_size", static_cast<int64_t>(session.dist.world_size))
        .add("val/loss", sums.mean_loss())
        .add("val/acc1", sums.acc1())
        .add("val/acc5", sums.acc5());
    if (from_checkpoint) json.add("epoch", checkpoint.progress.epoch - 1);
    if (command.ema) json.add("ema", true);
    write_file_atomic(command.json_path, json.text());
    log_info("wrote " + command.json_path);
  }
  if (!command.per_class_path.empty()) {
    const at::Tensor counts = per_class.counts.cpu();
    std::vector<ClassAccuracy> rows;
    for (int64_t c = 0; c < num_classes; ++c)
      rows.push_back({classes[static_cast<size_t>(c)], counts[c][0].item<int64_t>(),
                      counts[c][1].item<int64_t>(), counts[c][2].item<int64_t>()});
    write_class_accuracy_csv(command.per_class_path, rows);
    log_info("wrote " + command.per_class_path);
  }
  log_flush();
  return 0;
}

}  // namespace

void register_validate_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "validate", "Evaluate a checkpoint or weights file on the val split (val/loss, acc1, acc5)");
  auto command = std::make_shared<ValidateCommand>();
  add_config_flags(*sub, command->flags);
  sub->add_option("--checkpoint", command->checkpoint_path,
                  "A run's checkpoint, e.g. runs/x/checkpoints/last.ckpt (its config is used "
                  "when --config is not given)");
  sub->add_option("--json", command->json_path, "Also write the results to this JSON file");
  sub->add_option("--per_class,--per-class", command->per_class_path,
                  "Write per-class accuracy (class_index,class,images,acc1,acc5) to this CSV");
  sub->add_flag(
      "--ema", command->ema,
      "Evaluate the checkpoint's EMA weights (a run with model_ema) instead of its model");
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->add_flag("--rescan", command->rescan,
                "List the data folders again instead of using the cached index");
  sub->callback([&action = context.action, command, argv = context.argv] {
    action = [command, argv] { return run_validate_command(*command, argv); };
  });
}

}  // namespace imagenet
