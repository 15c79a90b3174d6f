// Implements preflight/preflight_rules.h.
#include "imagenet/preflight/preflight_rules.h"

#include <algorithm>
#include <cmath>

#include "imagenet/util/strings.h"

namespace imagenet {

BatchSearch find_largest_batch(int64_t start, int64_t limit,
                               const std::function<bool(int64_t)>& fits, int max_trials) {
  BatchSearch result;
  limit = std::max<int64_t>(1, limit);
  int64_t size = std::clamp<int64_t>(start, 1, limit);
  int64_t low = 0, high = 0;  // the largest that fitted, the smallest that failed (0: none)
  for (int trial = 0; trial < max_trials; ++trial) {
    const bool ok = fits(size);
    result.trials.emplace_back(size, ok);
    if (ok) {
      low = size;
      if (high == 0) {  // still doubling
        if (size == limit) {
          result.reached_limit = true;
          break;
        }
        size = std::min(limit, size * 2);
        continue;
      }
    } else {
      high = size;
    }
    if (high - low <= 1) break;
    size = (low + high) / 2;  // strictly between the two
  }
  result.largest = low;
  return result;
}

std::vector<LrMilestone> lr_milestones(const TrainingPlan& plan, int epochs, double warmup_epochs) {
  std::vector<LrMilestone> out;
  if (plan.total_steps <= 0 || epochs <= 0) return out;
  auto add = [&](int64_t epoch, const std::string& label) {
    const int64_t step = std::min(plan.total_steps - 1, epoch * plan.steps_per_epoch);
    for (const auto& m : out)
      if (m.step == step) return;
    out.push_back({label, epoch, step, plan.schedule.at(step)});
  };
  const int64_t warmup_end = static_cast<int64_t>(std::ceil(warmup_epochs));
  add(0, "epoch 0");
  if (warmup_end > 0) {
    const int64_t every = std::max<int64_t>(1, (warmup_end + 8) / 9);  // at most 10 entries
    for (int64_t e = 1; e < warmup_end; e += every) add(e, str_cat("epoch ", e));
    add(warmup_end, str_cat("epoch ", warmup_end, " (end of warmup)"));
  } else if (epochs > 1) {
    add(1, "epoch 1");
  }
  for (int percent : {25, 50, 75}) {
    const int64_t e = static_cast<int64_t>(epochs) * percent / 100;
    if (e > warmup_end) add(e, str_cat("epoch ", e, " (", percent, "%)"));
  }
  const int64_t last = plan.total_steps - 1;
  bool have_last = false;
  for (const auto& m : out) have_last = have_last || m.step == last;
  if (!have_last) out.push_back({"last step (100%)", epochs - 1, last, plan.schedule.at(last)});
  std::sort(out.begin(), out.end(),
            [](const LrMilestone& a, const LrMilestone& b) { return a.step < b.step; });
  return out;
}

int reads_in_flight_needed(double rate, double latency) {
  return std::max(1, static_cast<int>(std::ceil(1.25 * rate * latency)));
}

PreflightCheck pipeline_verdict(const PipelineRates& r) {
  PreflightCheck c;
  c.name = "pipeline";
  c.add("data_img_per_sec_per_rank", std::round(r.data_rate * 10) / 10);
  c.add("step_img_per_sec_per_rank", std::round(r.step_rate * 10) / 10);
  if (r.data_rate <= 0 || r.step_rate <= 0) {
    c.status = CheckStatus::kSkip;
    c.verdict = "not measured: the data or the step check did not run";
    return c;
  }
  const double rate = std::min(r.data_rate, r.step_rate);
  const double epoch_seconds = r.images_per_epoch / rate;
  const double starve = std::max(0.0, 1.0 - r.data_rate / r.step_rate);
  c.add("starve_percent", std::round(starve * 1000) / 10);
  c.add("epoch_seconds", std::round(epoch_seconds * 10) / 10);
  c.add("run_seconds", std::round(epoch_seconds * r.epochs));
  const std::string times =
      str_cat("an epoch takes about ", format_duration(epoch_seconds), ", the run (", r.epochs,
              " epochs) about ", format_duration(epoch_seconds * r.epochs),
              " (training steps only, validation not counted)");
  const std::string bound = r.data_rate < r.step_rate ? "the data" : "the step";
  if (starve <= 0) {
    c.verdict = str_cat("the data keeps up with the step (",
                        str_printf("%.2f", r.data_rate / r.step_rate), "x its rate); ", times, ".");
    return c;
  }
  std::string fix;
  const int needed = reads_in_flight_needed(r.step_rate, r.latency_per_open);
  if (r.read_bound && needed > r.reading_threads)
    fix = str_cat("raise io_threads to ", needed, " (at ",
                  str_printf("%.1f", r.latency_per_open * 1000), " ms per open, ", needed,
                  " reads in flight deliver ", str_printf("%.3g", r.step_rate),
                  " img/s); or: ", r.loader_advice);
  else
    fix = r.loader_advice;
  const std::string why = str_printf("data will starve the GPU by %.0f%%: ", starve * 100) + times +
                          ", bound by " + bound + ".";
  if (starve > 0.10)
    c.fail(why, fix);
  else
    c.warn(why, fix);
  return c;
}

int64_t checkpoints_kept(int save_top_k, int epochs) {
  return save_top_k < 0 ? static_cast<int64_t>(epochs) + 2 : static_cast<int64_t>(save_top_k) + 2;
}

PreflightCheck storage_verdict(const StorageState& s) {
  PreflightCheck c;
  c.name = "storage";
  const int64_t kept = checkpoints_kept(s.save_top_k, s.epochs);
  const double needed = static_cast<double>(kept) * static_cast<double>(s.checkpoint_bytes);
  c.add("checkpoints_dir", s.folder);
  if (s.probed_folder != s.folder) c.add("probed", s.probed_folder);
  c.add("free_bytes", static_cast<double>(s.free_bytes));
  c.add("checkpoint_bytes", static_cast<double>(s.checkpoint_bytes));
  c.add("checkpoints_kept", static_cast<double>(kept));
  c.add("writable", s.writable ? "yes" : "no");
  c.verdict = str_cat(format_bytes(static_cast<double>(s.free_bytes)), " free in ", s.probed_folder,
                      " for ", kept, " checkpoints of ",
                      format_bytes(static_cast<double>(s.checkpoint_bytes)), " (",
                      format_bytes(needed), "); writable.");
  if (!s.writable)
    c.fail(str_cat(s.probed_folder, " is not writable (", s.write_error, ")."),
           "make the folder writable, or choose another output_dir.");
  if (s.free_bytes < needed)
    c.fail(str_cat("not enough space: ", format_bytes(static_cast<double>(s.free_bytes)), " free, ",
                   format_bytes(needed), " needed for ", kept, " checkpoints (save_top_k + 2)."),
           "free space, lower save_top_k, or choose another output_dir.");
  if (s.holds_run)
    c.fail(str_cat(s.folder, "/last.ckpt exists: a fresh run there refuses to start."),
           "continue that run with --resume, or choose another output_dir.");
  return c;
}

double all_reduce_bus_gbps(double bytes, double seconds, int world_size) {
  if (seconds <= 0 || world_size < 1) return 0;
  return bytes / seconds * 2.0 * (world_size - 1) / world_size / 1e9;
}

uint64_t fnv1a64(std::string_view text, uint64_t hash) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t dataset_index_hash(const DatasetIndex& index) {
  uint64_t h = fnv1a64("classes");
  for (const auto& name : index.classes)
    h = fnv1a64(std::string_view(name.c_str(), name.size() + 1), h);
  const std::string prefix = index.split_dir + "/";
  auto relative = [&](const std::string& path) {
    return str_starts_with(path, prefix) ? std::string_view(path).substr(prefix.size())
                                         : std::string_view(path);
  };
  for (const auto& sample : index.samples) {
    h = fnv1a64(relative(sample.path), h);
    h = fnv1a64(str_cat("\n", sample.label, "\n"), h);
  }
  for (const auto& shard : index.shards) h = fnv1a64(str_cat(shard.samples, " ", shard.bytes), h);
  return h;
}

}  // namespace imagenet
