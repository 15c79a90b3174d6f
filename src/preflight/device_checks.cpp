// Implements preflight/device_checks.h.
#include "imagenet/preflight/device_checks.h"

#include <sys/resource.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "imagenet/data/loader_benchmark.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/distributed/gradient_reducer.h"
#include "imagenet/preflight/preflight_rules.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/step_benchmark.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

/// `value` to a multiple of `unit` (0.1, 0.01...), as the nearest double of the decimal.
double round_to(double value, double unit) {
  const double per_unit = std::round(1.0 / unit);
  return std::round(value * per_unit) / per_unit;
}

int64_t bytes_of(const std::vector<at::Tensor>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.numel() * static_cast<int64_t>(t.element_size());
  return n;
}

/// Peak resident memory of this process (getrusage), bytes.
double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss * 1024.0;
}

/// A batch of `batch` images fits when two steps run; CUDA's out-of-memory error is caught
/// (the caching allocator frees what the failed step held as the stack unwinds) and any other
/// error is passed on.
bool two_steps_fit(const Config& config, c10::Device device, int64_t num_classes, int64_t batch) {
  TrainStepOptions options = train_step_options(config);
  options.model.compile_model = false;  // one shape per trial: no graph to capture
  try {
    TrainStep step(options, device, num_classes);
    step.model()->train();
    const DeviceBatch input =
        synthetic_batch(batch, config.data.img_size, num_classes, device, step.channels_last());
    time_train_steps(step, input, config.optim.lr, 1, 1);
    return true;
  } catch (const c10::OutOfMemoryError&) {
    return false;
  }
}

}  // namespace

LoaderMeasurement measure_run_loader(const Config& config, const DataSplits& data, int rank,
                                     int world_size, c10::Device device, int warmup, int batches,
                                     PreflightCheck& check) {
  LoaderMeasurement m;
  std::unique_ptr<BatchLoader> loader =
      open_run_loader(config, data.train, /*train=*/true, rank, world_size, device);
  const LoaderRate rate = measure_loader_rate(*loader, warmup, batches);
  m.images_per_second = rate.images_per_second();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  LoaderEpochStats stats;
  stats.decode_seconds = rate.decode_seconds;
  const LoaderOptions& o = loader->options();
  m.advice =
      loader_bottleneck_advice(stats, rate.seconds, o, cores, sample_origin(loader->index()));
  m.read_bound =
      rate.decode_seconds / std::max(1e-9, rate.seconds * std::max(1, o.num_workers)) < 0.7;
  check.add("loader_img_per_sec", round_to(m.images_per_second, 0.1));
  check.add(
      "loader_decode_busy",
      round_to(rate.decode_seconds / std::max(1e-9, rate.seconds * std::max(1, o.num_workers)),
               0.01));
  check.add("loader_workers", o.num_workers);
  check.add("loader_io_threads", o.io_threads);
  return m;
}

StepMeasurement check_step(const Config& config, c10::Device device, int64_t num_classes,
                           const StepCheckOptions& options) {
  StepMeasurement m;
  PreflightCheck& c = m.check;
  c.name = "step";
  m.step = std::make_unique<TrainStep>(train_step_options(config), device, num_classes);
  TrainStep& step = *m.step;
  step.model()->train();
  const int64_t n = config.train.batch_size;
  const DeviceBatch batch =
      synthetic_batch(n, config.data.img_size, num_classes, device, step.channels_last());
  const StepTiming timing =
      time_train_steps(step, batch, config.optim.lr, options.warmup, options.steps);
  m.images_per_second = timing.images_per_second();
  m.ms_per_step = timing.ms_per_step();
  std::vector<at::Tensor> params, buffers;
  for (const auto& p : step.model()->parameters()) params.push_back(p);
  for (const auto& b : step.model()->buffers()) buffers.push_back(b);
  m.gradient_bytes = bytes_of(params);
  m.checkpoint_bytes = 2 * bytes_of(params) + bytes_of(buffers);  // weights, momentum, buffers
  c.add("device", compat::describe_device(device));
  c.add("batch", static_cast<double>(n));
  c.add("img_size", config.data.img_size);
  c.add("precision", to_string(config.train.precision));
  c.add("channels_last", step.channels_last() ? "true" : "false");
  c.add("steps", timing.steps);
  c.add("ms_per_step", round_to(m.ms_per_step, 0.01));
  c.add("img_per_sec", round_to(m.images_per_second, 0.1));
  c.add("parameters", static_cast<double>(m.gradient_bytes / 4));
  c.verdict = str_cat(config.model.arch, " at batch ", n, ", ", to_string(config.train.precision),
                      step.channels_last() ? ", channels_last" : "", " on ",
                      compat::describe_device(device), ": ", str_printf("%.1f", m.ms_per_step),
                      " ms per step, ", str_printf("%.1f", m.images_per_second), " img/s.");
  if (!device.is_cuda()) {
    c.add("peak_rss_bytes", peak_rss_bytes());
    c.add("largest_batch", "not searched on the CPU (host memory is not the limit a GPU has)");
    return m;
  }
  // CUDA: the largest batch that fits, doubling from the configured one, then bisecting. The
  // step above is kept; each trial builds its own, so the search sees the memory the run has.
  c.add("peak_memory", "not measured (no CUDA memory statistics in torch_compat yet)");
  if (options.max_batch <= 0) return m;
  const BatchSearch search = find_largest_batch(n, options.max_batch, [&](int64_t b) {
    const bool fits = two_steps_fit(config, device, num_classes, b);
    log_info(str_cat("preflight: batch ", b, fits ? " fits" : " does not fit"));
    return fits;
  });
  c.add("largest_batch", static_cast<double>(search.largest));
  c.add("batch_search_trials", static_cast<double>(search.trials.size()));
  if (search.largest < n)
    c.fail(str_cat("batch ", n, " does not fit in the GPU's memory; ", search.largest, " does."),
           str_cat("set batch_size to ", search.largest,
                   " or less (and lr with it, unless "
                   "lr_scaling: linear does it), or precision bf16-mixed."));
  else
    c.verdict += str_cat(" The largest batch that fits: ", search.largest,
                         search.reached_limit ? " (the search limit, --max_batch)" : "", ".");
  return m;
}

std::vector<RankSummary> gather_summaries(ProcessGroup& group, const RankSummary& mine,
                                          c10::Device device) {
  constexpr int kValues = 7;
  const int64_t values[kValues] = {static_cast<int64_t>(mine.config_hash),
                                   static_cast<int64_t>(mine.index_hash),
                                   mine.failed_checks,
                                   std::llround(mine.data_rate * 1000),
                                   std::llround(mine.step_rate * 1000),
                                   mine.free_bytes,
                                   static_cast<int64_t>(mine.storage)};
  at::Tensor t = at::empty({kValues}, at::kLong);
  std::copy(values, values + kValues, t.data_ptr<int64_t>());
  std::vector<RankSummary> out;
  for (const at::Tensor& r : group.all_gather(t.to(device))) {
    const at::Tensor cpu = r.cpu();
    const int64_t* v = cpu.data_ptr<int64_t>();
    out.push_back({static_cast<uint64_t>(v[0]), static_cast<uint64_t>(v[1]), v[2], v[3] / 1000.0,
                   v[4] / 1000.0, v[5], static_cast<CheckStatus>(v[6])});
  }
  return out;
}

void add_ranks_storage(PreflightCheck& storage, const std::vector<RankSummary>& ranks) {
  if (ranks.size() < 2) return;
  std::vector<std::string> each, failed;
  for (size_t r = 0; r < ranks.size(); ++r) {
    const double free = static_cast<double>(ranks[r].free_bytes);
    storage.add(str_cat("free_bytes_rank_", r), free);
    storage.add(str_cat("storage_rank_", r), to_string(ranks[r].storage));
    each.push_back(
        str_cat("rank ", r, " ", format_bytes(free), " (", to_string(ranks[r].storage), ")"));
    if (r > 0 && ranks[r].storage == CheckStatus::kFail) failed.push_back(std::to_string(r));
  }
  const std::string line =
      str_cat("Free where each rank writes checkpoints: ", str_join(each, ", "), ".");
  if (failed.empty()) {
    storage.verdict += " " + line;
    return;
  }
  storage.fail(str_cat("the checkpoint folder of rank(s) ", str_join(failed, ", "),
                       " failed (the reason is on that node's console, prefixed [rank N]). ", line),
               "give every node a writable checkpoint folder with room for the checkpoints.");
}

PreflightCheck check_ranks(const Config& config, const std::shared_ptr<ProcessGroup>& group,
                           StepMeasurement& step, const std::vector<RankSummary>& ranks,
                           double rendezvous_seconds, int iterations, double* ddp_step_rate) {
  PreflightCheck c;
  c.name = "multi-process";
  *ddp_step_rate = 0;
  const int world = group->size();
  c.add("ranks", world);
  c.add("backend", group->backend_name());
  c.add("rendezvous_seconds", round_to(rendezvous_seconds, 0.001));
  std::vector<int> config_differs, index_differs;
  for (size_t r = 1; r < ranks.size(); ++r) {
    if (ranks[r].config_hash != ranks[0].config_hash) config_differs.push_back(static_cast<int>(r));
    if (ranks[r].index_hash != ranks[0].index_hash) index_differs.push_back(static_cast<int>(r));
  }
  c.add("config_hash",
        str_printf("%016llx", static_cast<unsigned long long>(ranks[0].config_hash)));
  c.add("index_hash", str_printf("%016llx", static_cast<unsigned long long>(ranks[0].index_hash)));
  auto list = [](const std::vector<int>& v) {
    std::vector<std::string> s;
    for (int r : v) s.push_back(std::to_string(r));
    return str_join(s, ", ");
  };
  if (!config_differs.empty())
    c.fail(str_cat("rank(s) ", list(config_differs), " resolved another config than rank 0."),
           "give every node the same config file and flags (the resolved config is in each "
           "rank's log).");
  if (!index_differs.empty())
    c.fail(str_cat("rank(s) ", list(index_differs),
                   " see another dataset index than rank 0 (other classes or files under "
                   "data_root): a node's mount or copy differs."),
           "mount the same data on every node (or copy it again there), then run preflight with "
           "--rescan.");
  if (!step.step) {
    c.add("all_reduce", "not measured: the step check did not run");
    return c;
  }
  // The data-parallel step (gradients all-reduced in buckets during backward), then the
  // all-reduce of every bucket alone, as bench-ddp times them.
  std::vector<at::Tensor> params;
  for (const auto& p : step.step->model()->parameters()) params.push_back(p);
  GradientReducerOptions options;
  options.bucket_mb = config.dist.dist_bucket_mb;
  TrainStep& train_step = *step.step;
  const int64_t n = config.train.batch_size;
  const int64_t classes = train_step.model()->options().num_classes;
  const DeviceBatch batch = synthetic_batch(n, config.data.img_size, classes,
                                            params.front().device(), train_step.channels_last());
  double allreduce_seconds = 0;
  std::string describe;
  StepTiming ddp;
  {
    GradientReducer reducer(group, params, options);
    describe = reducer.describe();
    train_step.set_after_backward([&reducer] { reducer.finish_backward(); });
    ddp = time_train_steps(train_step, batch, config.optim.lr, 1, iterations, 1000);
    train_step.set_after_backward(nullptr);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) reducer.finish_backward();
    if (batch.images.is_cuda()) torch::cuda::synchronize();
    allreduce_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
        iterations;
  }
  *ddp_step_rate = ddp.images_per_second();
  const double bus =
      all_reduce_bus_gbps(static_cast<double>(step.gradient_bytes), allreduce_seconds, world);
  // What the overlap hid: the compute-only step plus the all-reduce alone, against the
  // data-parallel step (as bench-ddp's "overlapped / after" compares them).
  const double hidden_ms =
      std::max(0.0, step.ms_per_step + allreduce_seconds * 1000 - ddp.ms_per_step());
  c.add("gradient_bytes", static_cast<double>(step.gradient_bytes));
  c.add("all_reduce_ms", round_to(allreduce_seconds * 1000, 0.01));
  c.add("bus_gb_per_sec", round_to(bus, 0.001));
  c.add("ddp_ms_per_step", round_to(ddp.ms_per_step(), 0.01));
  c.add("compute_ms_per_step", round_to(step.ms_per_step, 0.01));
  c.add("all_reduce_hidden_ms", round_to(hidden_ms, 0.01));
  c.add("buckets", describe);
  const std::string summary =
      str_cat(world, " ranks met in ", str_printf("%.2f", rendezvous_seconds), " s; ",
              config_differs.empty() && index_differs.empty()
                  ? "the config and the dataset index hash the same on every rank; "
                  : "",
              "all-reduce of the ", format_bytes(static_cast<double>(step.gradient_bytes)),
              " gradients: ", str_printf("%.1f", allreduce_seconds * 1000), " ms, bus ",
              str_printf("%.2f", bus), " GB/s; the data-parallel step takes ",
              str_printf("%.1f", ddp.ms_per_step()), " ms (", str_printf("%.1f", step.ms_per_step),
              " ms compute only: ", str_printf("%.1f", hidden_ms),
              " ms of the all-reduce hidden behind "
              "backward).");
  c.verdict = c.status == CheckStatus::kPass ? summary : c.verdict + " " + summary;
  return c;
}

}  // namespace imagenet
