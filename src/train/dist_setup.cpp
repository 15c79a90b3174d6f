// Implements train/dist_setup.h.
#include "imagenet/train/dist_setup.h"

#include <cmath>

#include "imagenet/distributed/launcher.h"
#include "imagenet/train/run_setup.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {

DistRequest dist_request(const Config& config) {
  DistRequest r;
  r.devices = config.dist.devices;
  r.auto_devices = resolve_device(config).is_cuda() ? std::max(1, compat::cuda_device_count()) : 1;
  r.num_nodes = config.dist.num_nodes;
  r.devices_origin = config.origin_of("devices");
  r.num_nodes_origin = config.origin_of("num_nodes");
  r.force_ddp = config.dist.strategy == "ddp";
  return r;
}

c10::Device resolve_device(const Config& config, const DistEnv& dist) {
  if (!resolve_device(config).is_cuda()) return c10::Device(c10::kCPU);
  const int visible = compat::cuda_device_count();
  if (dist.local_rank >= visible)
    throw UsageError(str_cat("local rank ", dist.local_rank, " needs GPU ", dist.local_rank,
                             ", but only ", visible, " GPU(s) are visible on this node: devices (",
                             config.origin_of("devices"),
                             ") must not exceed the GPUs per node (check CUDA_VISIBLE_DEVICES)."));
  compat::set_cuda_device(dist.local_rank);  // NCCL binds to the current device
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(dist.local_rank));
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

void log_as_rank(const DistEnv& dist, bool verbose) {
  if (dist.rank == 0) return;
  log_init({/*console=*/false, verbose, str_cat("[rank ", dist.rank, "] "),
            /*console_errors=*/true});
}

void open_rank_log(const std::string& output_dir, const std::string& command,
                   const std::string& stamp, const DistEnv& dist) {
  ensure_directory(output_dir + "/logs");
  log_open_file(str_cat(output_dir, "/logs/", command, "_", stamp,
                        dist.rank == 0 ? std::string() : str_cat("_rank", dist.rank), ".log"));
}

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

}  // namespace imagenet
