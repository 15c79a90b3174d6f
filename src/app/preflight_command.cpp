// Implements app/preflight_command.h: the run's own launch and session (no log file, no config
// written, no folder made but the report's), then the checks in the order a run meets them;
// the ranks meet after the data is indexed, as in training, and measure together.
#include "imagenet/app/preflight_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/config/config_loader.h"
#include "imagenet/preflight/device_checks.h"
#include "imagenet/preflight/host_checks.h"
#include "imagenet/train/run_session.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct PreflightCommand {
  ConfigFlags flags;
  /// Where preflight.json goes; empty: <output_dir>/preflight.json.
  std::string report_path;
  int64_t sample_files = 256;
  /// No untimed batches by default: a few timed batches after a warmup would mostly be the
  /// ones prefetched meanwhile, and look faster than the loader is.
  int loader_warmup = 0;
  int loader_batches = 20;
  StepCheckOptions step;
  /// > 0: the pipeline compares the data against this many images/s per rank instead of the
  /// step measured here.
  double step_rate = 0;
  bool rescan = false;
  bool verbose = false;
};

/// Runs `body`; an error it throws fails `check` instead of stopping this rank, so that the
/// other ranks are not left waiting in a collective.
template <typename F>
void guarded(PreflightCheck& check, const std::string& name, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    check.name = name;
    check.fail(e.what(), "");
  }
}

int run_preflight_command(const PreflightCommand& command, const std::vector<std::string>& argv) {
  log_init({/*console=*/true, command.verbose, ""});
  const Config config = load_config(config_sources(command.flags));
  const DistEnv dist = resolve_run_env(config);
  const std::string report_path = command.report_path.empty()
                                      ? config.output.output_dir + "/preflight.json"
                                      : command.report_path;
  if (dist.kind == LaunchKind::kLauncher)
    return launch_workers(argv, dist, "preflight", str_cat("The report is ", report_path, "."));

  RunSessionOptions options;
  options.command = "preflight";
  options.title = "preflight";
  options.output_dir = config.output.output_dir;
  options.verbose = command.verbose;
  options.open_data = false;   // a data error is the data check's verdict, not a stop
  options.write_log = false;   // preflight writes nothing but its report
  options.join_group = false;  // a failed rendezvous is the multi-process check's verdict
  const RunSession session = open_run_session(config, dist, options);
  const c10::Device device = session.device;

  // 1. Config and data: what this rank finds on its own.
  PreflightCheck data_check;
  const DataSplits data = open_preflight_data(config, command.rescan, data_check);
  TrainingPlan plan;
  PreflightCheck config_check = check_config(config, dist.world_size, data, &plan);

  // 2. The other ranks (after indexing, as training meets them), then everyone measures at once.
  std::shared_ptr<ProcessGroup> group = session.group;
  std::string join_error;
  double rendezvous_seconds = 0;
  if (dist.distributed) {
    const auto start = std::chrono::steady_clock::now();
    try {
      group = join_process_group(config, dist, device);
      group->barrier();
    } catch (const std::exception& e) {
      join_error = e.what();
    }
    rendezvous_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // 3. Data: a sample of files read and decoded, then the run's loader at full speed.
  LoaderMeasurement loader;
  double latency = 0;
  guarded(data_check, "data", [&] {
    latency = probe_data(config, data, command.sample_files, data_check);
    if (data.train)
      loader = measure_run_loader(config, data, dist.rank, dist.world_size, device,
                                  command.loader_warmup, command.loader_batches, data_check);
  });

  // 4. The step alone; the checkpoint folder (the step's model says how big a checkpoint is).
  const int64_t num_classes =
      data.train ? static_cast<int64_t>(data.train->classes.size())
                 : (config.model.num_classes > 0 ? config.model.num_classes : 1000);
  StepMeasurement step;
  guarded(step.check, "step",
          [&] { step = check_step(config, device, num_classes, command.step); });
  PreflightCheck storage;
  int64_t free_bytes = 0;
  guarded(storage, "storage", [&] {
    const StorageState state =
        probe_storage(config, session.paths.checkpoints_dir, step.checkpoint_bytes);
    free_bytes = state.free_bytes;
    storage = storage_verdict(state);
  });
  const PreflightCheck monitoring = check_monitoring(config, config.output.output_dir);

  // 5. The ranks compared, and the data-parallel step.
  int local_failures = 0;
  for (const PreflightCheck* c : {&config_check, &data_check, &step.check, &storage})
    local_failures += c->status == CheckStatus::kFail;
  RankSummary mine;
  mine.config_hash = fnv1a64(config_to_yaml(config));
  mine.index_hash = data.train ? dataset_index_hash(*data.train) : 0;
  mine.failed_checks = local_failures;
  mine.data_rate = loader.images_per_second;
  mine.step_rate = step.images_per_second;
  mine.free_bytes = free_bytes;
  mine.storage = storage.status;
  PreflightCheck ranks_check;
  ranks_check.name = "multi-process";
  double data_rate = mine.data_rate, step_rate = mine.step_rate;
  if (!join_error.empty()) {
    ranks_check.add("rendezvous_seconds", rendezvous_seconds);
    ranks_check.fail(
        str_cat("no rendezvous after ", str_printf("%.1f", rendezvous_seconds), " s (dist_timeout ",
                format_number(config.dist.dist_timeout), " s): ", join_error),
        "check that MASTER_ADDR is node 0's address as this node reaches it (no "
        "firewall between them, MASTER_PORT free there), and that every node starts "
        "within dist_timeout.");
  } else if (group->distributed()) {
    guarded(ranks_check, "multi-process", [&] {
      const std::vector<RankSummary> ranks = gather_summaries(*group, mine, device);
      add_ranks_storage(storage, ranks);
      double ddp_rate = 0;
      ranks_check = check_ranks(config, group, step, ranks, rendezvous_seconds,
                                std::max(2, command.step.steps), &ddp_rate);
      for (size_t r = 0; r < ranks.size(); ++r) {
        data_rate = std::min(data_rate, ranks[r].data_rate);
        step_rate = std::min(step_rate, ranks[r].step_rate);
        if (r > 0 && ranks[r].failed_checks > 0)
          ranks_check.fail(str_cat("rank ", r, " failed ", ranks[r].failed_checks,
                                   " of its own checks (its errors are on the console, prefixed "
                                   "[rank ",
                                   r, "])."),
                           "");
      }
      if (ddp_rate > 0) step_rate = std::min(step_rate, ddp_rate);
    });
  } else {
    ranks_check.status = CheckStatus::kSkip;
    ranks_check.verdict = "a single process: no ranks to compare.";
  }

  // 6. The verdict on the pipeline, from the slowest rank.
  PipelineRates rates;
  rates.data_rate = data_rate;
  rates.step_rate = command.step_rate > 0 ? command.step_rate : step_rate;
  rates.images_per_epoch = plan.steps_per_epoch * config.train.batch_size;
  rates.epochs = config.train.epochs;
  rates.latency_per_open = latency;
  rates.reading_threads = reading_threads(config);
  rates.read_bound = loader.read_bound;
  rates.loader_advice = loader.advice;
  PreflightCheck pipeline = pipeline_verdict(rates);
  pipeline.add("step_rate_from", command.step_rate > 0 ? "--step_rate" : "the step check");
  if (pipeline.status == CheckStatus::kFail)  // the data check is where its rate is measured
    data_check.fail(str_printf("the data is too slow: %.1f img/s per rank for a step that takes "
                               "%.1f (see pipeline).",
                               data_rate, rates.step_rate),
                    pipeline.fix);

  PreflightReport report;
  report.version = IMAGENET_VERSION;
  report.rank = dist.rank;
  report.world_size = dist.world_size;
  report.checks = {config_check, data_check,  step.check, pipeline,
                   storage,      ranks_check, monitoring};
  if (dist.rank == 0) {
    std::cout << report_table(report) << std::flush;
    try {
      const std::filesystem::path parent = std::filesystem::path(report_path).parent_path();
      if (!parent.empty()) ensure_directory(parent.string());
      write_file_atomic(report_path, report_json(report));
      std::cout << "report: " << report_path << "\n" << std::flush;
    } catch (const std::exception& e) {
      log_error(str_cat("could not write the report: ", e.what()));
      return 1;
    }
  } else {
    for (const PreflightCheck& c : report.checks)
      if (c.status == CheckStatus::kFail)
        log_error(str_cat("preflight: ", c.name, " failed: ", c.verdict,
                          c.fix.empty() ? "" : " Fix: " + c.fix));
  }
  // Rank 0's report is written before any rank exits (a launcher stops the rest after one).
  if (join_error.empty() && group->distributed()) {
    try {
      group->barrier();
    } catch (const std::exception& e) {
      log_warn(e.what());
    }
  }
  return report.exit_code();
}

}  // namespace

void register_preflight_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "preflight",
      "Check a run before starting it: config and LR plan, data, step, pipeline, storage, "
      "ranks, monitoring (launched as training is; writes only preflight.json)");
  auto command = std::make_shared<PreflightCommand>();
  add_config_flags(*sub, command->flags);
  sub->add_option("--report", command->report_path,
                  "Where to write the JSON report (default <output_dir>/preflight.json)");
  sub->add_option("--sample_files,--sample-files", command->sample_files,
                  "Training files read (twice) and decoded by the data check")
      ->capture_default_str();
  sub->add_option("--loader_batches,--loader-batches", command->loader_batches,
                  "Batches of the run's loader timed")
      ->capture_default_str();
  sub->add_option("--loader_warmup,--loader-warmup", command->loader_warmup,
                  "Untimed loader batches first")
      ->capture_default_str();
  sub->add_option("--steps", command->step.steps, "Timed training steps, after 2 untimed")
      ->capture_default_str();
  sub->add_option("--step_rate,--step-rate", command->step_rate,
                  "Images/s per rank the pipeline check holds the data to, instead of the step "
                  "measured here (0): the rate of the run's GPUs measured elsewhere "
                  "(bench-model, an earlier run), or a target")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--max_batch,--max-batch", command->step.max_batch,
                  "CUDA: the largest batch the memory search tries (0: no search)")
      ->capture_default_str();
  sub->add_flag("--rescan", command->rescan,
                "List the data folders again instead of using the cached index");
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->callback([&action = context.action, command, argv = context.argv] {
    action = [command, argv] { return run_preflight_command(*command, argv); };
  });
}

}  // namespace imagenet
