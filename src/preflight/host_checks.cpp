// Implements preflight/host_checks.h.
#include "imagenet/preflight/host_checks.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "imagenet/data/batch_loader.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/data/read_probe.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

namespace imagenet {

int64_t planned_steps_per_epoch(const Config& config, const DatasetIndex& train, int rank,
                                int world_size) {
  const LoaderOptions o = loader_options_from_config(config, true, rank, world_size);
  return config.data.limit_train_batches.apply(batches_per_epoch(train, o));
}

PreflightCheck check_config(const Config& config, int world_size, const DataSplits& data,
                            TrainingPlan* plan) {
  PreflightCheck c;
  c.name = "config";
  c.add("arch", config.model.arch);
  c.add("world_size", world_size);
  c.add("batch_per_rank", config.train.batch_size);
  c.add("total_batch", static_cast<double>(config.train.batch_size) * world_size);
  c.add("precision", to_string(config.train.precision));
  c.add("epochs", config.train.epochs);
  if (!data.train) {
    c.status = CheckStatus::kSkip;
    c.verdict = "the config is valid; the plan needs the training data (see the data check).";
    return c;
  }
  const int64_t steps = planned_steps_per_epoch(config, *data.train, 0, world_size);
  if (steps <= 0) {
    c.fail(str_cat("no training step per epoch: ", data.train->samples.size(), " images for ",
                   world_size, " ranks of batch ", config.train.batch_size, "."),
           "lower batch_size, or use fewer devices.");
    return c;
  }
  *plan = make_training_plan(config, world_size, steps);
  c.add("lr", config.optim.lr);
  c.add("lr_scale", plan->lr_scale);
  c.add("effective_lr", plan->effective_lr);
  c.add("steps_per_epoch", static_cast<double>(plan->steps_per_epoch));
  c.add("total_steps", static_cast<double>(plan->total_steps));
  c.add("warmup_steps", static_cast<double>(plan->warmup_steps));
  std::vector<std::string> lrs;
  for (const LrMilestone& m :
       lr_milestones(*plan, config.train.epochs, config.optim.warmup_epochs)) {
    c.add(
        str_cat("lr_at_", m.label == "last step (100%)" ? "last_step" : str_cat("epoch_", m.epoch)),
        m.lr);
    lrs.push_back(str_cat(m.label, ": ", str_printf("%.6g", m.lr)));
  }
  c.verdict = str_cat(plan->describe(), ". LR ", str_join(lrs, ", "), ".");
  return c;
}

DataSplits open_preflight_data(const Config& config, bool rescan, PreflightCheck& check) {
  check.name = "data";
  OpenDataOptions options;
  options.rescan = rescan;
  options.write_index_cache = false;
  try {
    return open_datasets(config, options);
  } catch (const UsageError& e) {
    check.fail(e.what(), "fix data_root (or the folders under it) on this node.");
  }
  return {};
}

int reading_threads(const Config& config) {
  return config.data.io_threads > 0 ? config.data.io_threads : std::max(1, config.data.num_workers);
}

double probe_data(const Config& config, const DataSplits& data, int64_t files, PreflightCheck& c) {
  if (!data.train) return 0;
  const std::string& root = config.data.data_root;
  c.add("data_root", root);
  c.add("format", config.data.data_format == DataFormat::kShards ? "shards" : "folders");
  c.add("classes", static_cast<double>(data.train->classes.size()));
  c.add("train_images", static_cast<double>(data.train->samples.size()));
  if (data.val) c.add("val_images", static_cast<double>(data.val->samples.size()));
  std::string notes;
  if (is_s3_uri(root)) {
    // open_datasets listed the bucket (and refused val/ classes that train/ lacks); the
    // objects are read by the run's own S3 source, whose rate the pipeline check measures.
    c.add("read_probe",
          "not done: s3:// objects are read by the S3 source (the loader rate "
          "covers them)");
    c.verdict = c.verdict.empty() ? "the bucket's listing holds both splits." : c.verdict;
    return 0;
  }
  if (config.data.data_format == DataFormat::kFolders) {
    // open_datasets takes val/'s folders of train/'s classes; a class only in val/ is ignored.
    const auto train_classes = list_class_folders(root + "/train");
    const auto val_classes = list_class_folders(root + "/val");
    const bool equal = train_classes == val_classes;
    c.add("class_sets_equal", equal ? "yes" : "no");
    if (!equal)
      c.warn(str_cat("train/ has ", train_classes.size(), " class folders, val/ ",
                     val_classes.size(), ": the folders differ."),
             "give val/ the same class folders as train/.");
    const IndexCacheReport& t = data.train_cache;
    const IndexCacheReport& v = data.val_cache;
    const int reused = t.classes_reused + v.classes_reused;
    const int listed = t.classes_scanned + v.classes_scanned;
    c.add("index_cache", t.cache_path.empty() ? std::string("none") : t.cache_path);
    c.add("index_classes_from_cache", reused);
    c.add("index_classes_listed", listed);
    notes = listed == 0 ? "the index cache is current"
                        : str_cat("the index cache lacks ", listed,
                                  " class folders (preflight does not write it; the run lists "
                                  "them once and caches them)");
  }
  if (config.data.data_format == DataFormat::kShards) {
    c.add("read_probe", "not done: samples live inside shards (the loader rate covers them)");
    c.verdict = c.verdict.empty() ? "the shard indexes of both splits agree." : c.verdict;
    return 0;
  }
  const int threads = reading_threads(config);
  const LoaderOptions loader = loader_options_from_config(config, true);
  const ReadProbe probe =
      probe_reads(sample_paths(*data.train, files, config.train.seed), threads, loader.read_policy);
  c.add("sample_files", static_cast<double>(probe.cold.files));
  c.add("reading_threads", threads);
  if (loader.read_policy.injected_latency_seconds > 0)
    c.add("injected_latency_ms", loader.read_policy.injected_latency_seconds * 1000);
  c.add("cold_img_per_sec", std::round(probe.cold.images_per_second() * 10) / 10);
  c.add("cold_mb_per_sec", std::round(probe.cold.bytes_per_second() / 1e5) / 10);
  c.add("warm_img_per_sec", std::round(probe.warm.images_per_second() * 10) / 10);
  c.add("ms_per_open_cold", std::round(probe.cold.mean_read_seconds * 1e4) / 10);
  c.add("ms_per_open_warm", std::round(probe.warm.mean_read_seconds * 1e4) / 10);
  c.add("decoded", static_cast<double>(probe.decoded));
  c.add("bad", static_cast<double>(probe.bad));
  const std::string summary =
      str_cat(data.train->classes.size(), " classes, ", data.train->samples.size(), " training",
              data.val ? str_cat(" and ", data.val->samples.size(), " validation") : "",
              " images; ", probe.decoded, " of ", probe.cold.files, " sample files decode; ",
              str_printf("%.1f", probe.cold.images_per_second()), " img/s cold, ",
              str_printf("%.1f", probe.warm.images_per_second()), " warm on ", threads,
              " reading threads (", str_printf("%.1f", probe.cold.mean_read_seconds * 1000),
              " ms per open); ", notes, ".");
  if (c.status == CheckStatus::kPass)
    c.verdict = summary;
  else
    c.verdict = summary + " " + c.verdict;
  const double bad_fraction = probe.cold.files > 0 ? double(probe.bad) / probe.cold.files : 0;
  if (probe.bad > 0) {
    const std::string examples = str_join(probe.bad_examples, "; ");
    if (bad_fraction > config.data.max_bad_samples_fraction)
      c.fail(str_cat(probe.bad, " of ", probe.cold.files, " sample files are unreadable (",
                     examples, "), more than max_bad_samples_fraction ",
                     format_number(config.data.max_bad_samples_fraction), " allows."),
             "replace or remove the broken files (or the run stops in its first epoch).");
    else
      c.warn(str_cat(probe.bad, " sample files are unreadable: ", examples, "."),
             "replace or remove them.");
  }
  return probe.cold.mean_read_seconds;
}

StorageState probe_storage(const Config& config, const std::string& checkpoints_dir,
                           int64_t checkpoint_bytes) {
  StorageState s;
  s.folder = checkpoints_dir;
  s.checkpoint_bytes = checkpoint_bytes;
  s.save_top_k = config.output.save_top_k;
  s.epochs = config.train.epochs;
  s.holds_run = path_exists(checkpoints_dir + "/last.ckpt");
  std::filesystem::path dir = std::filesystem::absolute(checkpoints_dir).lexically_normal();
  while (!is_directory(dir.string()) && dir.has_parent_path() && dir != dir.parent_path())
    dir = dir.parent_path();
  s.probed_folder = dir == std::filesystem::absolute(checkpoints_dir).lexically_normal()
                        ? checkpoints_dir
                        : dir.string();
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) == 0)
    s.free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
  // A probe file: what saving a checkpoint needs first (creating a file there).
  const std::string probe = str_cat(dir.string(), "/.imagenet_preflight_probe_", getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    s.writable = false;
    s.write_error = std::strerror(errno);
    return s;
  }
  const char block[4096] = {};
  if (::write(fd, block, sizeof(block)) != static_cast<ssize_t>(sizeof(block))) {
    s.writable = false;
    s.write_error = std::strerror(errno);
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return s;
}

PreflightCheck check_monitoring(const Config& config, const std::string& output_dir) {
  PreflightCheck c;
  c.name = "monitoring";
  c.add("metrics_csv", output_dir + "/metrics.csv");
  c.add("log_every_n_steps", config.output.log_every_n_steps);
  c.add("use_wandb", config.output.use_wandb ? "true" : "false");
  c.add("wandb_project", config.output.wandb_project);
  c.add("wandb_name", config.output.wandb_name);
  c.add("run_name", config.output.name);
  c.verdict =
      str_cat("metrics go to ", output_dir, "/metrics.csv every ", config.output.log_every_n_steps,
              " steps and per epoch; logs to ", output_dir, "/logs/.");
  if (config.output.use_wandb || !config.output.wandb_project.empty())
    c.warn(str_cat("use_wandb/wandb_project are set, but imagenet_train has no W&B client: "
                   "nothing goes to W&B (project '",
                   config.output.wandb_project, "' is recorded in the log only)."),
           "read metrics.csv (Lightning's CSVLogger format), or set use_wandb: false.");
  return c;
}

}  // namespace imagenet
