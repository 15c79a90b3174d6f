// What every command that trains or evaluates (train, lrfind, bench-ddp, ...) does before its
// own work, in one place: who this process is in the run (one process, the launcher of this
// node's workers, or one rank of several), its device and the precision it allows, the data,
// the run folder and this rank's log, LibTorch's CPU threads, and the process group (a group of
// one for a single process). Everything that can be checked is checked before anything is
// written; each check throws UsageError naming the key and where it was set.
#pragma once

#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/data/dataset.h"
#include "imagenet/distributed/launch_env.h"
#include "imagenet/distributed/process_group.h"

namespace imagenet {

/// Who this process is and where it computes.
struct RunContext {
  c10::Device device = c10::Device(c10::kCPU);
  int rank = 0;
  int world_size = 1;
  /// The ranks of the run; a group of one (ProcessGroup::single_process) for a single process.
  std::shared_ptr<ProcessGroup> group;
  bool is_main() const { return rank == 0; }
};

/// Where a run writes: <output_dir>/{checkpoints/, logs/, metrics.csv, config.yaml}.
struct RunPaths {
  std::string output_dir;
  std::string checkpoints_dir;
  std::string metrics_csv;
  std::string config_yaml;
};
RunPaths make_run_paths(const std::string& output_dir);

/// devices, num_nodes and strategy of `config`, with where they were set.
DistRequest dist_request(const Config& config);

/// This process's place in the run, from its environment and `config`.
DistEnv resolve_run_env(const Config& config);

/// The launcher's work: runs `argv` once per local device with the worker's environment and
/// waits; returns the exit code (that of the first worker to fail, 0 when all succeed). A
/// failed worker is reported as "<what> failed: rank r ... <where_to_look>", `what` naming the
/// job ("training", "the LR finder").
int launch_workers(const std::vector<std::string>& argv, DistEnv dist, const std::string& what,
                   const std::string& where_to_look);

/// The device `accelerator` asks for (for one rank: cuda:<local rank>, made current for NCCL).
/// UsageError when it asks for CUDA and there is none, or the local rank has no GPU.
c10::Device resolve_device(const Config& config, const DistEnv& dist = DistEnv{});

/// UsageError for a precision the device cannot run (16-mixed needs CUDA).
void check_precision(const Config& config, const c10::Device& device);

/// Sets LibTorch's intra-op threads from cpu_threads (0: the cores shared equally by the
/// `processes_on_node` processes of a run on this machine); returns the number.
int configure_cpu_threads(const Config& config, int processes_on_node = 1);

/// "20261122-135602": local time, for names of log files.
std::string file_timestamp();

struct RunSessionOptions {
  /// Names this rank's log: <output_dir>/logs/<command>_<stamp>[_rank<r>].log.
  std::string command = "train";
  std::string output_dir;
  bool verbose = false;
  /// List the data folders again instead of using the index cache (--rescan).
  bool rescan = false;
  /// Open train/ and val/ (bench-ddp needs no data).
  bool open_data = true;
  /// Checks of the command that need the data (a checkpoint that must fit it), run before
  /// anything is written.
  std::function<void(const DataSplits&)> check_data;
  /// No log file, no folder: a benchmark writes nothing.
  bool write_log = true;
  /// Rank 0 writes the resolved config to config.yaml and logs/config_<stamp>.yaml (train), and
  /// prints it; otherwise it goes to the log file only.
  bool write_config = false;
  /// The log's first line names the command: "imagenet_train <title> <version> ...".
  std::string title;
  /// Join the other ranks at the end (false: the command calls join_process_group itself, to
  /// report a failed rendezvous rather than stop; the session's group is then single_process).
  bool join_group = true;
};

/// A process's place in a run, ready to train: the log is open, the threads are set, the
/// other ranks have joined.
struct RunSession {
  DistEnv dist;
  c10::Device device = c10::Device(c10::kCPU);
  DataSplits data;
  RunPaths paths;
  std::string stamp;  ///< file_timestamp() of the log's name
  int cpu_threads = 1;
  std::shared_ptr<ProcessGroup> group;  ///< never null

  RunContext context() const { return {device, dist.rank, dist.world_size, group}; }
};

/// Meets the other ranks (dist_timeout); from then on a failure of any rank stops every rank.
/// Throws RuntimeError naming MASTER_ADDR:MASTER_PORT when they do not meet in time.
std::shared_ptr<ProcessGroup> join_process_group(const Config& config, const DistEnv& dist,
                                                 const c10::Device& device);

/// Opens the session of a process that is not the launcher (dist.kind != kLauncher): device and
/// precision, data (and options.check_data), then the log, threads, config and process group.
RunSession open_run_session(const Config& config, const DistEnv& dist,
                            const RunSessionOptions& options);

}  // namespace imagenet
