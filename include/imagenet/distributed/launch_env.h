// Who this process is in a run, read from whatever launched it: a plain command (one process,
// or `--devices N` which starts N workers), the seeds' MASTER_ADDR/NODE_RANK variables on each
// node, torchrun (RANK, LOCAL_RANK, WORLD_SIZE, TORCHELASTIC_*), or SLURM's srun (SLURM_PROCID,
// SLURM_LOCALID, SLURM_NTASKS). Pure: the environment comes in as a map, so every rule is tested.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace imagenet {

/// The environment variables of a process.
using EnvironmentMap = std::map<std::string, std::string>;

/// This process's environment.
EnvironmentMap current_environment();

/// What the config asks for (devices, num_nodes, strategy), with where each was set.
struct DistRequest {
  int devices = 1;       ///< processes per node; 0 means auto
  int auto_devices = 1;  ///< what auto means on this machine (visible GPUs, or 1 on the CPU)
  int num_nodes = 1;
  /// Config::origin_of for the two keys; "the default" when neither file nor flag set them.
  std::string devices_origin = "the default";
  std::string num_nodes_origin = "the default";
  /// strategy: ddp: a process group even for a single process (tests the DDP path on 1 GPU).
  bool force_ddp = false;
};

enum class LaunchKind {
  kSingle,    ///< one process, no process group
  kLauncher,  ///< this process starts local_world_size workers of itself and waits for them
  kWorker,    ///< a worker started by kLauncher
  kEnv,       ///< one process per device started by the user or a script: LOCAL_RANK, NODE_RANK
  kTorchrun,  ///< torchrun, or any launcher that sets RANK and WORLD_SIZE
  kSlurm,     ///< srun: SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS
};

std::string to_string(LaunchKind kind);

/// This process's place in the run. For kLauncher, rank and local_rank are those of the node's
/// first worker.
struct DistEnv {
  LaunchKind kind = LaunchKind::kSingle;
  int rank = 0;
  int local_rank = 0;
  int node_rank = 0;
  int world_size = 1;
  int local_world_size = 1;  ///< processes on this node (devices)
  int num_nodes = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  ///< 0: not chosen yet (a single-node launcher picks a free port)
  /// torchrun's agent hosts the rendezvous store: every rank, rank 0 included, is a client, and
  /// keys live under store_prefix ("/worker/attempt_<TORCHELASTIC_RESTART_COUNT>").
  bool agent_store = false;
  std::string store_prefix;
  /// GLOO_SOCKET_IFNAME: the network interfaces Gloo uses (comma-separated), or "".
  std::string gloo_interfaces;
  /// How an ambiguous setting was read (for the log).
  std::vector<std::string> notes;

  /// True when this process trains in a process group (world size > 1, or strategy: ddp).
  bool distributed = false;

  /// "rank 3 of 8 (node 1 of 2, local rank 1), started by torchrun".
  std::string describe() const;
};

/// Works out this process's place in the run from `env` and the config's request. Throws
/// UsageError when the two disagree (WORLD_SIZE against devices x num_nodes, a rank out of range,
/// a missing MASTER_PORT or NODE_RANK on several nodes), naming the variables and the keys.
///
/// WORLD_SIZE without RANK is read as the number of processes (Lightning's contract); the seeds'
/// notes also use it for the number of nodes, which is accepted only when the process reading
/// does not fit and the node reading does, and refused with both readings shown otherwise.
DistEnv resolve_dist_env(const EnvironmentMap& env, const DistRequest& request);

/// The environment a kLauncher process gives its local worker `local_rank` (on top of its own).
EnvironmentMap worker_environment(const DistEnv& launcher, int local_rank);

/// The first host of a SLURM node list: "gpu[03-05,07],cpu1" -> "gpu03".
std::string first_slurm_host(const std::string& node_list);

}  // namespace imagenet
