// Implements train/run_session.h.
#include "imagenet/train/run_session.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <thread>

#include "imagenet/config/config_loader.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/distributed/launcher.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/build_info.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

/// The device of a single process: what `accelerator` asks for.
c10::Device device_of_process(const Config& config) {
  const bool cuda = compat::cuda_available();
  switch (config.train.accelerator) {
    case Accelerator::kCpu:
      return c10::Device(c10::kCPU);
    case Accelerator::kCuda:
      if (!cuda)
        throw UsageError(str_cat(config.origin_of("accelerator"),
                                 ": accelerator: cuda, but no CUDA GPU is visible (this build: ",
                                 compat::build_description(), "). Use accelerator: cpu or auto."));
      return c10::Device(c10::kCUDA, 0);
    case Accelerator::kAuto:
      break;
  }
  return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
}

/// Only rank 0 talks to the console: the other ranks log with a "[rank r] " prefix, to their
/// file only, and print nothing but their errors.
void log_as_rank(const DistEnv& dist, bool verbose) {
  if (dist.rank == 0) {
    log_init({/*console=*/true, verbose, ""});
    return;
  }
  log_init({/*console=*/false, verbose, str_cat("[rank ", dist.rank, "] "),
            /*console_errors=*/true});
}

}  // namespace

std::shared_ptr<ProcessGroup> join_process_group(const Config& config, const DistEnv& dist,
                                                 const c10::Device& device) {
  ProcessGroupOptions o;
  o.rank = dist.rank;
  o.world_size = dist.world_size;
  o.master_addr = dist.master_addr;
  o.master_port = dist.master_port != 0 ? dist.master_port : find_free_port();
  o.agent_store = dist.agent_store;
  o.store_prefix = dist.store_prefix;
  o.timeout = std::chrono::milliseconds(std::llround(config.dist.dist_timeout * 1000.0));
  o.device = device;
  o.backend = config.dist.dist_backend == DistBackendChoice::kNccl   ? DistBackend::kNccl
              : config.dist.dist_backend == DistBackendChoice::kGloo ? DistBackend::kGloo
                                                                     : DistBackend::kAuto;
  o.gloo_interfaces = dist.gloo_interfaces;
  o.multi_node = dist.num_nodes > 1;
  log_info(str_cat("joining the process group at ", o.master_addr, ":", o.master_port,
                   dist.agent_store ? " (torchrun's store)" : "", ", waiting up to ",
                   format_number(config.dist.dist_timeout), " s (dist_timeout) for ",
                   dist.world_size, " ranks"));
  auto group = std::make_shared<ProcessGroup>(o);
  log_info(str_cat("process group ready: ", group->backend_name(), ", ", group->size(), " ranks"));
  return group;
}

RunPaths make_run_paths(const std::string& output_dir) {
  RunPaths p;
  p.output_dir = output_dir;
  p.checkpoints_dir = output_dir + "/checkpoints";
  p.metrics_csv = output_dir + "/metrics.csv";
  p.config_yaml = output_dir + "/config.yaml";
  return p;
}

DistRequest dist_request(const Config& config) {
  DistRequest r;
  r.devices = config.dist.devices;
  r.auto_devices =
      device_of_process(config).is_cuda() ? std::max(1, compat::cuda_device_count()) : 1;
  r.num_nodes = config.dist.num_nodes;
  r.devices_origin = config.origin_of("devices");
  r.num_nodes_origin = config.origin_of("num_nodes");
  r.force_ddp = config.dist.strategy == "ddp";
  return r;
}

DistEnv resolve_run_env(const Config& config) {
  return resolve_dist_env(current_environment(), dist_request(config));
}

int launch_workers(const std::vector<std::string>& argv, DistEnv dist, const std::string& what,
                   const std::string& where_to_look) {
  IMAGENET_CHECK(!argv.empty(), "the command line is needed to start workers");
  if (dist.master_port == 0) dist.master_port = find_free_port();
  log_info(str_cat("starting ", dist.local_world_size, " workers on node ", dist.node_rank, " of ",
                   dist.num_nodes, " (ranks ", dist.rank, " to ",
                   dist.rank + dist.local_world_size - 1, " of ", dist.world_size,
                   "); rendezvous at ", dist.master_addr, ":", dist.master_port));
  for (const auto& note : dist.notes) log_info(note);
  LaunchOptions options;
  options.executable = "/proc/self/exe";
  options.argv = argv;
  for (int i = 0; i < dist.local_world_size; ++i)
    options.workers.push_back({dist.rank + i, worker_environment(dist, i)});
  LaunchResult result = run_workers(options);
  if (result.failed_rank >= 0) {
    // Rank 0 prints to the console unprefixed; the others' errors carry "[rank r]".
    std::string its_error = "Its error is above. ";
    if (result.exit_code > 128)
      its_error =
          "A killed process writes no error; the kernel log (dmesg) shows whether it ran out "
          "of memory. ";
    else if (result.failed_rank != 0)
      its_error = str_cat("Its error is above, prefixed [rank ", result.failed_rank, "]. ");
    log_error(str_cat(what, " failed: ", result.message, ". ", its_error, where_to_look));
  } else if (result.exit_code != 0) {
    log_warn(result.message);
  }
  return result.exit_code;
}

c10::Device resolve_device(const Config& config, const DistEnv& dist) {
  const c10::Device device = device_of_process(config);
  if (!device.is_cuda()) return device;
  const int visible = compat::cuda_device_count();
  if (dist.local_rank >= visible)
    throw UsageError(str_cat("local rank ", dist.local_rank, " needs GPU ", dist.local_rank,
                             ", but only ", visible, " GPU(s) are visible on this node: devices (",
                             config.origin_of("devices"),
                             ") must not exceed the GPUs per node (check CUDA_VISIBLE_DEVICES)."));
  compat::set_cuda_device(dist.local_rank);  // NCCL binds to the current device
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(dist.local_rank));
}

void check_precision(const Config& config, const c10::Device& device) {
  if (config.train.precision == Precision::kFloat16Mixed && !device.is_cuda())
    throw UsageError(str_cat(config.origin_of("precision"),
                             ": precision 16-mixed needs a CUDA GPU (float16 autocast and its "
                             "loss scaler); on the CPU use 32 or bf16-mixed."));
}

int configure_cpu_threads(const Config& config, int processes_on_node) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = config.train.cpu_threads > 0
                          ? config.train.cpu_threads
                          : std::max(1, cores / std::max(1, processes_on_node));
  at::set_num_threads(threads);
  return threads;
}

std::string file_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%d-%H%M%S", &tm);
  return buffer;
}

RunSession open_run_session(const Config& config, const DistEnv& dist,
                            const RunSessionOptions& options) {
  IMAGENET_CHECK(dist.kind != LaunchKind::kLauncher, "the launcher opens no session");
  RunSession s;
  s.dist = dist;
  log_as_rank(dist, options.verbose);

  // 1. Device, precision and data, before anything is written.
  s.device = resolve_device(config, dist);
  check_precision(config, s.device);
  check_loader_config(config);
  if (options.open_data) s.data = open_datasets(config, {options.rescan});
  if (options.check_data) options.check_data(s.data);

  // 2. This rank's log; LibTorch's threads.
  s.paths = make_run_paths(options.output_dir);
  s.stamp = file_timestamp();
  if (options.write_log) {
    ensure_directory(s.paths.output_dir + "/logs");
    log_open_file(str_cat(s.paths.output_dir, "/logs/", options.command, "_", s.stamp,
                          dist.rank == 0 ? std::string() : str_cat("_rank", dist.rank), ".log"));
  }
  s.cpu_threads = configure_cpu_threads(config, dist.local_world_size);
  log_info(str_cat("imagenet_train ", options.title.empty() ? "" : options.title + " ",
                   IMAGENET_VERSION, " (git ", git_commit(), ", ", compat::library_versions(),
                   "), ", compat::describe_device(s.device), ", ", s.cpu_threads, " CPU threads"));
  log_info("process: " + dist.describe());
  for (const auto& note : dist.notes) log_info(note);

  // 3. The resolved config: in the log, and (training) next to it, written by rank 0.
  const std::string yaml = config_to_yaml(config);
  if (options.write_config) {
    log_info("resolved config (also in " + s.paths.config_yaml + "):\n" + yaml);
    if (dist.rank == 0) {
      write_file_atomic(s.paths.config_yaml, yaml);
      write_file_atomic(s.paths.output_dir + "/logs/config_" + s.stamp + ".yaml", yaml);
    }
  } else if (options.write_log) {
    log_file_only("resolved config:\n" + yaml);
  }
  if (config.dist.sync_batchnorm && !dist.distributed)
    log_info("sync_batchnorm: true has no effect with a single process.");
  if (s.device.is_cuda())
    compat::configure_cuda_math(config.train.cudnn_benchmark, config.train.tf32);

  // 4. The other ranks: everything above was checked by each rank on its own.
  s.group = dist.distributed && options.join_group ? join_process_group(config, dist, s.device)
                                                   : ProcessGroup::single_process(s.device);
  return s;
}

}  // namespace imagenet
