// Implements app/lrfind_command.h: the flags, config, device and data are checked before
// anything runs; the processes are launched and meet as for training (train_command.cpp); the
// sweep runs on a Trainer built exactly as training builds it, with a per-step LR instead of
// the schedule (no warmup); then rank 0 writes the CSV, the picture, the suggestion and, when
// asked, the config file. The run's checkpoints, metrics.csv and config.yaml are never
// written: the swept weights are thrown away.
#include "imagenet/app/lrfind_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/config/config_file_edit.h"
#include "imagenet/lrfind/lr_find_report.h"
#include "imagenet/lrfind/lr_finder.h"
#include "imagenet/lrfind/lr_suggestion.h"
#include "imagenet/lrfind/lr_sweep.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/trainer.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/stop_signal.h"

namespace imagenet {
namespace {

struct LrFindCommand {
  ConfigFlags flags;
  ConfigSources sources;
  LrSweepOptions sweep;
  LrSuggestionOptions rule;
  /// Write the suggested per-256 `lr` into sources.file in place.
  bool update_config = false;
  bool verbose = false;
  /// List the data folders again instead of using the index cache.
  bool rescan = false;
};

/// "none" or "off" turn the early stop off (Lightning's None); otherwise a number.
double parse_early_stop_threshold(const std::string& text) {
  const std::string t = str_to_lower(str_trim(text));
  if (t == "none" || t == "off") return 0;
  char* end = nullptr;
  const double value = std::strtod(t.c_str(), &end);
  IMAGENET_USAGE_CHECK(!t.empty() && *end == '\0' && std::isfinite(value),
                       "--early_stop_threshold ", text,
                       ": expected a number such as 4, or none to sweep the whole range.");
  return value;
}

/// The sweep must leave the suggestion at least 2 points, or it is pointless to run it.
void check_suggestion_window(const LrFindCommand& command) {
  const LrSuggestionOptions& rule = command.rule;
  IMAGENET_USAGE_CHECK(rule.skip_begin >= 0, "--skip_begin ", rule.skip_begin,
                       ": must be at least 0.");
  IMAGENET_USAGE_CHECK(rule.skip_end >= 0, "--skip_end ", rule.skip_end, ": must be at least 0.");
  const int64_t needed = rule.skip_begin + rule.skip_end + 2;
  IMAGENET_USAGE_CHECK(
      command.sweep.num_training >= needed, "--num_training ", command.sweep.num_training,
      " leaves no points for a suggestion: it leaves out the first ", rule.skip_begin,
      " (--skip_begin) and the last ", rule.skip_end,
      " (--skip_end) and needs 2 more. Use --num_training ", needed, " or more (100 is usual).");
}

/// "2026-11-22", local time.
std::string today() {
  const std::string stamp = file_timestamp();  // 20261122-135602
  return str_cat(stamp.substr(0, 4), "-", stamp.substr(4, 2), "-", stamp.substr(6, 2));
}

std::string describe_slope(LrSlope slope) {
  return slope == LrSlope::kLr ? "against the LR values (--slope lr, Lightning 2.5.3 and later)"
                               : "against the step index (--slope index, Lightning before 2.5.3)";
}

std::string describe_scaling(const TrainingPlan& plan, const Config& config) {
  if (plan.lr_rule == LrScaling::kNone) return "lr_scaling none: lr is used as is";
  const std::string ratio = str_cat(plan.total_batch, " / ", config.optim.lr_base_size);
  return str_cat("per ", config.optim.lr_base_size, " images; lr_scaling ", to_string(plan.lr_rule),
                 ": effective = lr x ",
                 plan.lr_rule == LrScaling::kSqrt ? str_cat("sqrt(", ratio, ")") : ratio);
}

/// Writes the suggested base lr into the config file and says what changed.
void update_config(const LrFindCommand& command, const LrFindReport& report, const Config& config) {
  const std::string value = format_lr_for_config(report.suggested_base_lr());
  if (str_starts_with(config.origin_of("lr_scaling"), "--") ||
      str_starts_with(config.origin_of("batch_size"), "--"))
    log_warn(str_cat("batch_size or lr_scaling was set on the command line; the value written, ",
                     value, ", is per ", config.optim.lr_base_size, " images under ",
                     to_string(config.optim.lr_scaling),
                     " scaling. Check that the file's settings give the LR you want."));
  ConfigFileEdit edit =
      update_config_file(command.sources, "lr", value,
                         str_cat("LR finder's suggestion, per ", config.optim.lr_base_size,
                                 " images (", today(), ")"));
  const std::string& path = command.sources.file;
  if (edit.appended) {
    log_info(str_cat(path, " did not set lr (the default ", format_number(Config{}.optim.lr),
                     " applied); added line ", edit.line, ": ", edit.after));
  } else {
    log_info(str_cat("updated ", path, ":", edit.line, ": ", edit.before, "  ->  ", edit.after));
  }
}

int run_lr_find_command(const LrFindCommand& command, const std::vector<std::string>& argv) {
  log_init({/*console=*/true, command.verbose, ""});

  // 1. Flags and config, before anything runs.
  check_lr_sweep_options(command.sweep);
  check_suggestion_window(command);
  if (command.update_config) check_config_file_updatable(command.sources, "lr");
  const Config config = load_config(command.sources);

  // 2. Who this process is, as for training: one process, the launcher of this node's workers,
  // or one rank of several.
  const DistEnv dist = resolve_run_env(config);
  if (dist.kind == LaunchKind::kLauncher)
    return launch_workers(argv, dist, "the LR finder",
                          str_cat("Its log is in ", config.output.output_dir,
                                  "/logs/ (lrfind_*.log, one file per rank)."));
  const bool main_rank = dist.rank == 0;

  // 3. Device and data checked, then the log, next to the run's (whose checkpoints, metrics.csv
  // and config.yaml stay as they are), one per rank.
  RunSessionOptions options;
  options.command = "lrfind";
  options.title = "lrfind";
  options.output_dir = config.output.output_dir;
  options.verbose = command.verbose;
  options.rescan = command.rescan;
  RunSession session = open_run_session(config, dist, options);
  const RunPaths& paths = session.paths;

  // 4. The sweep, on the model, data pipeline and step that training uses. With several ranks
  // each steps on its share of the total batch and they record the same mean loss, so they
  // stop together; a signal stops them all after the same step.
  Trainer trainer(config, session.context(), session.data, paths, stop_signal_received);
  const TrainingPlan& plan = trainer.plan();
  const LrSweepOptions& o = command.sweep;
  if (dist.distributed) log_info("plan: " + plan.describe());
  log_info(str_cat(
      "LR finder: ", o.num_training, " steps at lr ", format_number(o.min_lr), " to ",
      format_number(o.max_lr), " (", to_string(o.mode),
      ", the optimizer's LR; no warmup, no schedule), ", config.model.arch, ", total batch ",
      plan.total_batch,
      dist.distributed ? str_cat(" over ", dist.world_size, " processes") : std::string(),
      ", early stop ",
      o.early_stop_threshold > 0 ? str_cat("when the smoothed loss exceeds ",
                                           format_number(o.early_stop_threshold), " x the best")
                                 : std::string("off")));
  LrSweep sweep(o);
  const auto start = std::chrono::steady_clock::now();
  int signal = 0;
  {
    StopSignalScope signals;
    signal = run_lr_sweep(trainer, sweep, config.output.log_every_n_steps);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t steps = static_cast<int64_t>(sweep.points().size());
  log_info(str_printf("sweep: %lld steps in %.1f s, %.1f img/s", static_cast<long long>(steps),
                      seconds, steps * plan.total_batch / std::max(seconds, 1e-9)));

  // 5. The suggestion, lr_find.csv and lr_find.png (rank 0; every rank holds the same curve).
  LrFindReport report;
  report.sweep = o;
  report.rule = command.rule;
  report.points = sweep.points();
  report.end = sweep.end();
  report.lr_scale = plan.lr_scale;
  report.run_description = str_cat(config.model.arch, ", total batch ", plan.total_batch);
  report.suggestion =
      suggest_lr(sweep_lrs(report.points), sweep_smoothed_losses(report.points), command.rule);
  const LrSuggestion& s = report.suggestion;
  const int code = sweep.end() == LrSweepEnd::kStopped                ? 128 + signal
                   : sweep.end() != LrSweepEnd::kFinished || !s.found ? 1
                                                                      : 0;
  if (!main_rank) {  // rank 0 gives the verdict and its exit code; this rank did its part
    log_info(str_cat("The LR finder ", sweep.describe_end(), "; rank 0 writes the results."));
    log_flush();
    return sweep.end() == LrSweepEnd::kStopped ? code : 0;
  }
  if (!report.points.empty()) {
    std::vector<std::string> files = write_lr_find_outputs(paths.output_dir, report);
    log_info(str_cat("wrote ", str_join(files, " and ")));
  }

  // 6. The verdict. Only a complete sweep gives a suggestion that touches the config.
  if (sweep.end() == LrSweepEnd::kStopped) {
    log_warn(str_cat("The LR finder ", sweep.describe_end(), "; no suggestion, config unchanged."));
    return code;
  }
  if (sweep.end() != LrSweepEnd::kFinished) {
    const double last_lr = report.points.back().lr;
    log_error(str_cat("The LR finder ", sweep.describe_end(), ", so there is no suggestion",
                      command.update_config ? " and the config is unchanged" : "", ".",
                      s.found ? str_cat(" (On the partial curve the loss falls fastest at lr ",
                                        str_printf("%.3g", s.lr), ".)")
                              : std::string(),
                      " To sweep the whole range, lower --max_lr below ",
                      str_printf("%.3g", last_lr),
                      sweep.end() == LrSweepEnd::kDiverged
                          ? ", or turn the stop off with --early_stop_threshold none"
                          : "",
                      "."));
    return code;
  }
  if (!s.found) {
    log_error(str_cat("The LR finder gives no suggestion: ", s.reason, ". Raise --num_training",
                      command.update_config ? "; the config is unchanged" : "", "."));
    return code;
  }
  log_info(str_cat("suggested learning rate: ", str_printf("%.3g", s.lr),
                   " effective (the optimizer's LR at total batch ", plan.total_batch, "), step ",
                   s.index, " of the sweep"));
  log_info(str_cat("  = lr: ", format_lr_for_config(report.suggested_base_lr()), " in the config (",
                   describe_scaling(plan, config), ")"));
  log_info(str_cat("  rule: steepest descent of the smoothed loss ",
                   describe_slope(command.rule.slope), ", leaving out the first ",
                   command.rule.skip_begin, " and the last ", command.rule.skip_end, " points"));
  if (command.update_config) update_config(command, report, config);
  log_flush();
  return code;
}

}  // namespace

void register_lrfind_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "lrfind",
      "Find a learning rate: sweep it over a few steps of real training and suggest the one "
      "where the loss falls fastest (Lightning's LR finder; also `imagenet_lrfind`)");
  auto command = std::make_shared<LrFindCommand>();
  ConfigFlags* flags = &command->flags;
  auto early_stop = std::make_shared<std::string>("4");
  auto mode = std::make_shared<std::string>("exponential");
  auto slope = std::make_shared<std::string>("lr");
  add_config_flags(*sub, *flags);
  LrSweepOptions& o = command->sweep;
  sub->add_option("--min_lr,--min-lr", o.min_lr, "First LR of the sweep (the optimizer's)")
      ->capture_default_str();
  sub->add_option("--max_lr,--max-lr", o.max_lr, "Last LR of the sweep")->capture_default_str();
  sub->add_option("--num_training,--num-training", o.num_training, "Steps of the sweep")
      ->capture_default_str();
  sub->add_option("--mode", *mode, "LR ramp: exponential or linear")
      ->check(CLI::IsMember({"exponential", "linear"}))
      ->capture_default_str();
  sub->add_option("--early_stop_threshold,--early-stop-threshold", *early_stop,
                  "Stop when the smoothed loss exceeds this many times the best; none: never")
      ->capture_default_str();
  sub->add_option("--beta", o.beta, "Smoothing of the loss (running average weight)")
      ->capture_default_str();
  sub->add_option("--slope", *slope,
                  "Differentiate the loss against the LR values (lr, Lightning >= 2.5.3) or "
                  "the step index (index, Lightning before 2.5.3)")
      ->check(CLI::IsMember({"lr", "index"}))
      ->capture_default_str();
  sub->add_option("--skip_begin,--skip-begin", command->rule.skip_begin,
                  "Points left out of the suggestion at the start")
      ->capture_default_str();
  sub->add_option("--skip_end,--skip-end", command->rule.skip_end,
                  "Points left out of the suggestion at the end")
      ->capture_default_str();
  sub->add_flag("--update_config,--update-config", command->update_config,
                "Write the suggested lr (per 256 images) into the --config file, in place");
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->add_flag("--rescan", command->rescan,
                "List the data folders again instead of using the cached index");
  sub->callback([&action = context.action, command, early_stop, mode, slope, argv = context.argv] {
    action = [command, early_stop, mode, slope, argv] {
      command->sources = config_sources(command->flags);
      command->sweep.early_stop_threshold = parse_early_stop_threshold(*early_stop);
      command->sweep.mode = *mode == "linear" ? LrSweepMode::kLinear : LrSweepMode::kExponential;
      command->rule.slope = *slope == "index" ? LrSlope::kIndex : LrSlope::kLr;
      return run_lr_find_command(*command, argv);
    };
  });
}

}  // namespace imagenet
