// Implements app/train_command.h: everything that can be checked is checked (config, device,
// data layout, resume compatibility, output folder) before anything is written; then the log
// and config.yaml are created and the Trainer runs.
#include "imagenet/app/train_command.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/checkpoint_search.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/trainer.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/stop_signal.h"

namespace imagenet {
namespace {

struct TrainCommand {
  ConfigFlags flags;
  /// Checkpoint to resume from; empty for a fresh run.
  std::string resume_path;
  bool verbose = false;
  /// List the data folders again instead of using the index cache.
  bool rescan = false;
};

/// A resumed run writes next to the checkpoint it resumes from, unless told otherwise; a fresh
/// one into its run folder (output_dir, or output_dir/<name> for a named run).
std::string resolve_output_dir(const TrainCommand& command, const Config& config) {
  if (command.resume_path.empty() || flag_sets_key(command.flags, "output_dir"))
    return run_folder(config);
  std::filesystem::path dir = std::filesystem::path(command.resume_path).parent_path();
  if (dir.filename() == "checkpoints")
    return dir.parent_path().empty() ? "." : dir.parent_path().string();
  return run_folder(config);
}

/// A fresh run never starts over another one's checkpoints.
void check_output_dir_is_free(const std::string& output_dir) {
  if (path_exists(output_dir + "/checkpoints/last.ckpt"))
    throw UsageError(str_cat(output_dir, "/checkpoints/last.ckpt exists: ", output_dir,
                             " holds a run already. Continue it with --resume ", output_dir,
                             "/checkpoints/last.ckpt, or start a fresh one in a folder of its own "
                             "with --set name=<new name> (output_dir/<name>) or another "
                             "--output_dir."));
}

void check_resume_compatible(const CheckpointData& ckpt, const std::string& path,
                             const Config& config, const DataSplits& data, int world_size) {
  if (ckpt.arch != config.model.arch)
    throw UsageError(str_cat(path, " holds a ", ckpt.arch, " model; the config asks for ",
                             config.model.arch, " (", config.origin_of("model"),
                             "). Resume with the config the run started with."));
  if (ckpt.classes != data.train->classes) {
    std::string detail = str_cat(ckpt.classes.size(), " classes in the checkpoint, ",
                                 data.train->classes.size(), " now");
    for (size_t i = 0; i < std::min(ckpt.classes.size(), data.train->classes.size()); ++i) {
      if (ckpt.classes[i] != data.train->classes[i]) {
        detail += str_cat("; class ", i, " was ", ckpt.classes[i], ", is ", data.train->classes[i]);
        break;
      }
    }
    throw UsageError(str_cat(path, " was trained on other classes (", detail,
                             "). Check data_root, num_classes and subset_seed."));
  }
  if (ckpt.progress.batch_in_epoch > 0 && ckpt.progress.world_size != world_size)
    throw UsageError(str_cat(
        path, " was saved in the middle of epoch ", ckpt.progress.epoch, " by ",
        ckpt.progress.world_size, " processes, and this run has ", world_size,
        ": the rest of that epoch is split by the number of processes. Resume it with ",
        ckpt.progress.world_size,
        " processes (devices x num_nodes); a checkpoint from the end of an epoch resumes with "
        "any number."));
  // Changed settings are allowed but said out loud.
  ConfigSources saved;
  saved.yaml_text = ckpt.config_yaml;
  saved.yaml_origin = path;
  Config before = load_config(saved);
  std::vector<std::string> changes;
  for (const auto& key : config_key_names()) {
    if (key == "output_dir" || key == "name") continue;
    std::string a = config_value_text(before, key), b = config_value_text(config, key);
    if (a != b) changes.push_back(str_cat(key, " ", a, " -> ", b));
  }
  if (!changes.empty())
    log_warn(str_cat("resuming with changed settings: ", str_join(changes, ", "),
                     ". Changing epochs, lr or batch_size changes the LR schedule from here on."));
}

/// What a short check run or the seeds' habits would otherwise leave unsaid.
void warn_about_plan(const TrainCommand& command, const Config& config, const TrainingPlan& plan) {
  if (plan.warmup_steps >= plan.total_steps)
    log_warn(str_cat("warmup_epochs (", format_number(config.optim.warmup_epochs), ", ",
                     config.origin_of("warmup_epochs"), ") is not shorter than the run (epochs ",
                     config.train.epochs, "): the LR never reaches its peak of ",
                     format_number(plan.effective_lr),
                     ". Fine for a check run; a real run needs more epochs."));
  // The seeds' train.py took --lr as the LR itself; here it is per 256 images and scaled.
  if (flag_sets_key(command.flags, "lr") && flag_sets_key(command.flags, "batch_size") &&
      plan.lr_scale != 1.0)
    log_warn(str_cat("--lr ", format_number(config.optim.lr), " is per 256 images here (",
                     "lr_scaling: linear): with a total batch of ", plan.total_batch,
                     " the effective LR is ", format_number(plan.effective_lr), ". If you meant ",
                     format_number(config.optim.lr),
                     " as the LR itself (the seeds' train.py), pass --lr ",
                     format_number(config.optim.lr / plan.lr_scale), "."));
}

/// --resume of a folder (a run folder or its checkpoints/) or `last` (output_dir's): the newest
/// sound checkpoint there, each newer one passed over named with what is wrong with it.
std::string resolve_resume_path(const std::string& what, const ConfigSources& sources) {
  const std::string output_dir = what == "last" ? load_config(sources).output.output_dir : "";
  const ResumeChoice choice = find_resume_checkpoint(what, output_dir);
  for (const auto& skipped : choice.skipped) log_warn("--resume " + what + ": skipping " + skipped);
  if (choice.path != what) log_info(str_cat("--resume ", what, ": ", choice.path));
  return choice.path;
}

int run_train_command(TrainCommand command, const std::vector<std::string>& argv) {
  log_init({/*console=*/true, command.verbose, ""});

  // 1. The config: --config and flags, or the checkpoint's own when resuming without --config.
  CheckpointData checkpoint;
  const bool resuming = !command.resume_path.empty();
  ConfigSources sources = config_sources(command.flags);
  if (resuming) {
    command.resume_path = resolve_resume_path(command.resume_path, sources);
    checkpoint = load_checkpoint(command.resume_path);
    if (sources.file.empty()) {
      sources.yaml_text = checkpoint.config_yaml;
      sources.yaml_origin = command.resume_path + " (its saved config)";
    }
  }
  const Config config = load_config(sources);
  const std::string output_dir = resolve_output_dir(command, config);

  // 2. Who this process is: a single process, the launcher of this node's workers, or one
  // rank of several (started by that launcher, by hand, torchrun or srun).
  const DistEnv dist = resolve_run_env(config);
  if (dist.kind == LaunchKind::kLauncher) {
    if (!resuming) check_output_dir_is_free(output_dir);
    return launch_workers(argv, dist, "training",
                          str_cat("Its log is in ", output_dir, "/logs/ (one file per rank)."));
  }

  // 3. Device, data and output folder checked, then the log and config.yaml written.
  RunSessionOptions options;
  options.command = "train";
  options.output_dir = output_dir;
  options.verbose = command.verbose;
  options.rescan = command.rescan;
  options.write_config = true;
  options.check_data = [&](const DataSplits& data) {
    if (resuming)
      check_resume_compatible(checkpoint, command.resume_path, config, data, dist.world_size);
    else
      check_output_dir_is_free(output_dir);
  };
  RunSession session = open_run_session(config, dist, options);
  log_info(str_cat("run '", config.output.name, "' in ", session.paths.output_dir,
                   resuming ? str_cat(", resuming from ", command.resume_path) : std::string()));

  // 4. Train. Ctrl-C or SIGTERM (e.g. from SLURM) saves last.ckpt mid-epoch and stops; with
  // several ranks they first agree on the step to stop after.
  Trainer trainer(config, session.context(), session.data, session.paths, stop_signal_received);
  log_info(str_cat("model: ", config.model.arch, ", ", count_parameters(*trainer.model()),
                   " parameters, ", session.data.train->classes.size(), " classes"));
  log_info("plan: " + trainer.plan().describe());
  warn_about_plan(command, config, trainer.plan());
  if (resuming) {
    trainer.restore(checkpoint, command.resume_path);
    log_info(str_cat("resumed at epoch ", trainer.progress().epoch, ", batch ",
                     trainer.progress().batch_in_epoch, ", step ", trainer.progress().global_step));
  }
  int code = 0;
  {
    StopSignalScope signals;
    code = trainer.fit();
  }
  log_flush();
  return code;
}

}  // namespace

void register_train_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "train", "Train a model (the default: `imagenet_train --config X` means `train`)");
  auto command = std::make_shared<TrainCommand>();
  add_config_flags(*sub, command->flags);
  sub->add_option("--resume", command->resume_path,
                  "Continue from a checkpoint (run/checkpoints/last.ckpt), from the newest sound "
                  "checkpoint of a folder (run), or of the output_dir's (last)");
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->add_flag("--rescan", command->rescan,
                "List the data folders again instead of using the cached index");
  sub->callback([&action = context.action, command, argv = context.argv] {
    action = [command, argv] { return run_train_command(*command, argv); };
  });
}

}  // namespace imagenet
