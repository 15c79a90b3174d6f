// Implements train/train_command.h: everything that can be checked is checked (config,
// device, data layout, resume compatibility, output folder) before anything is written; then
// the log file and config.yaml are created and the Trainer runs.
#include "imagenet/train/train_command.h"

#include <torch/version.h>

#include <filesystem>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/data/dataset.h"
#include "imagenet/distributed/launch_env.h"
#include "imagenet/train/dist_setup.h"
#include "imagenet/train/run_setup.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/train/trainer.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

/// A resumed run writes next to the checkpoint it resumes from, unless told otherwise.
std::string resolve_output_dir(const TrainCommand& command, const Config& config) {
  if (command.resume_path.empty() || command.output_dir_given) return config.output.output_dir;
  std::filesystem::path dir = std::filesystem::path(command.resume_path).parent_path();
  if (dir.filename() == "checkpoints")
    return dir.parent_path().empty() ? "." : dir.parent_path().string();
  return config.output.output_dir;
}

void check_resume_compatible(const CheckpointData& ckpt, const std::string& path,
                             const Config& config, const DataSplits& data) {
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

}  // namespace

int run_train_command(const TrainCommand& command) {
  log_init({/*console=*/true, command.verbose, ""});

  // 1. The config: --config and flags, or the checkpoint's own when resuming without --config.
  CheckpointData checkpoint;
  const bool resuming = !command.resume_path.empty();
  ConfigSources sources = command.sources;
  if (resuming) {
    checkpoint = load_checkpoint(command.resume_path);
    if (sources.file.empty()) {
      sources.yaml_text = checkpoint.config_yaml;
      sources.yaml_origin = command.resume_path + " (its saved config)";
    }
  }
  Config config = load_config(sources);

  // 2. Who this process is: a single process, the launcher of this node's workers, or one
  // rank of several (started by that launcher, by hand, torchrun or srun).
  const DistEnv dist = resolve_dist_env(current_environment(), dist_request(config));
  if (dist.kind == LaunchKind::kLauncher) {
    const std::string output_dir = resolve_output_dir(command, config);
    if (command.resume_path.empty() && path_exists(output_dir + "/checkpoints/last.ckpt"))
      throw UsageError(str_cat(output_dir, "/checkpoints/last.ckpt exists: ", output_dir,
                               " holds a run already. Continue it with --resume ", output_dir,
                               "/checkpoints/last.ckpt, or choose another --output_dir."));
    return launch_workers(command.argv, dist, "training",
                          str_cat("Its log is in ", output_dir, "/logs/ (one file per rank)."));
  }
  const bool main_rank = dist.rank == 0;
  log_as_rank(dist, command.verbose);

  // 3. Device and precision.
  const c10::Device device = resolve_device(config, dist);
  check_precision(config, device);

  // 4. Data, before anything is written.
  DataSplits data = open_datasets(config, {command.rescan});
  if (resuming) check_resume_compatible(checkpoint, command.resume_path, config, data);
  if (resuming && checkpoint.progress.batch_in_epoch > 0 &&
      checkpoint.progress.world_size != dist.world_size)
    throw UsageError(str_cat(
        command.resume_path, " was saved in the middle of epoch ", checkpoint.progress.epoch,
        " by ", checkpoint.progress.world_size, " processes, and this run has ", dist.world_size,
        ": the rest of that epoch is split by the number of processes. Resume it with ",
        checkpoint.progress.world_size,
        " processes (devices x num_nodes); a checkpoint from the end of an epoch resumes with "
        "any number."));

  // 5. The output folder: never start a fresh run over another one's checkpoints.
  RunPaths paths = make_run_paths(resolve_output_dir(command, config));
  if (!resuming && path_exists(paths.checkpoints_dir + "/last.ckpt"))
    throw UsageError(str_cat(paths.checkpoints_dir, "/last.ckpt exists: ", paths.output_dir,
                             " holds a run already. Continue it with --resume ",
                             paths.checkpoints_dir, "/last.ckpt, or choose another --output_dir."));

  // 6. Logs (every rank its own file) and the resolved config (rank 0 writes it).
  const std::string stamp = file_timestamp();
  open_rank_log(paths.output_dir, "train", stamp, dist);
  const int threads = configure_cpu_threads(config, dist.local_world_size);
  log_info(str_cat("imagenet_train ", IMAGENET_VERSION, " (LibTorch ", TORCH_VERSION, "), ",
                   compat::describe_device(device), ", ", threads, " CPU threads"));
  log_info("process: " + dist.describe());
  for (const auto& note : dist.notes) log_info(note);
  log_info(str_cat("run '", config.output.name, "' in ", paths.output_dir,
                   resuming ? str_cat(", resuming from ", command.resume_path) : std::string()));
  const std::string yaml = config_to_yaml(config);
  log_info("resolved config (also in " + paths.config_yaml + "):\n" + yaml);
  if (main_rank) {
    write_file_atomic(paths.config_yaml, yaml);
    write_file_atomic(paths.output_dir + "/logs/config_" + stamp + ".yaml", yaml);
  }
  if (config.output.use_wandb || !config.output.wandb_project.empty())
    log_info(
        "W&B: there is no W&B client in imagenet_train; metrics.csv holds the same metrics "
        "(wandb_project '" +
        config.output.wandb_project + "' is recorded only).");
  if (config.dist.sync_batchnorm && !dist.distributed)
    log_info("sync_batchnorm: true has no effect with a single process.");
  if (device.is_cuda())
    compat::configure_cuda_math(config.train.cudnn_benchmark, config.train.tf32);

  // 7. The other ranks: everything above was checked by each rank on its own.
  std::shared_ptr<ProcessGroup> group;
  if (dist.distributed) group = join_process_group(config, dist, device);

  // 8. Train. Ctrl-C or SIGTERM (e.g. from SLURM) saves last.ckpt mid-epoch and stops; with
  // several ranks they first agree on the step to stop after.
  Trainer trainer(config, RunContext{device, dist.rank, dist.world_size, group}, data, paths,
                  stop_signal_received);
  log_info("plan: " + trainer.plan().describe());
  if (resuming) {
    trainer.restore(checkpoint, command.resume_path);
    log_info(str_cat("resumed at epoch ", trainer.progress().epoch, ", batch ",
                     trainer.progress().batch_in_epoch, ", step ", trainer.progress().global_step));
  }
  install_stop_signal_handlers();
  int code = trainer.fit();
  restore_default_signal_handlers();
  log_flush();
  return code;
}

}  // namespace imagenet
