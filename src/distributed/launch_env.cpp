// Implements distributed/launch_env.h. The order of detection: a launcher that sets RANK
// (torchrun, our own workers), then srun, then LOCAL_RANK set by hand, then the config alone.
#include "imagenet/distributed/launch_env.h"

#include <cerrno>
#include <cstdlib>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

extern char** environ;

namespace imagenet {
namespace {

/// Set by a kLauncher process in its workers' environment.
constexpr const char* kWorkerMarker = "IMAGENET_LAUNCHED_BY";

bool has(const EnvironmentMap& env, const std::string& name) {
  auto it = env.find(name);
  return it != env.end() && !str_trim(it->second).empty();
}

std::string get(const EnvironmentMap& env, const std::string& name,
                const std::string& fallback = "") {
  return has(env, name) ? str_trim(env.at(name)) : fallback;
}

int get_int(const EnvironmentMap& env, const std::string& name, int lo, int hi) {
  const std::string text = get(env, name);
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0')
    throw UsageError(
        str_cat("environment variable ", name, "=\"", text, "\" is not a whole number."));
  if (value < lo || value > hi)
    throw UsageError(str_cat("environment variable ", name, "=", value, " is out of range (", lo,
                             " to ", hi, ")."));
  return static_cast<int>(value);
}

int get_int(const EnvironmentMap& env, const std::string& name, int lo, int hi, int fallback) {
  return has(env, name) ? get_int(env, name, lo, hi) : fallback;
}

constexpr int kMaxProcesses = 1 << 20;

/// The config's layout: devices and num_nodes, and whether the user fixed them.
struct Layout {
  int devices = 1;
  int num_nodes = 1;
  bool devices_fixed = false;
  bool num_nodes_fixed = false;
  std::string devices_origin;
  std::string num_nodes_origin;

  explicit Layout(const DistRequest& r)
      : devices(r.devices > 0 ? r.devices : r.auto_devices),
        num_nodes(r.num_nodes),
        devices_fixed(r.devices > 0 && r.devices_origin != "the default"),
        num_nodes_fixed(r.num_nodes_origin != "the default"),
        devices_origin(r.devices_origin),
        num_nodes_origin(r.num_nodes_origin) {}

  int world() const { return devices * num_nodes; }
  std::string text() const {
    return str_cat("devices ", devices, " (", devices_origin, ") x num_nodes ", num_nodes, " (",
                   num_nodes_origin, ") = ", world(), " processes");
  }
};

/// Fits the config's layout to a launcher that started `world` processes, `local` per node
/// (0: unknown). What the user fixed must agree; the rest is taken from the launcher. Returns
/// "" on success, else why it does not fit.
std::string fit_layout(Layout& layout, int world, int local) {
  Layout fitted = layout;
  if (layout.devices_fixed && layout.num_nodes_fixed) {
    // Both given: nothing to derive.
  } else if (layout.devices_fixed) {
    if (world % layout.devices != 0) return "WORLD_SIZE is not a multiple of devices";
    fitted.num_nodes = world / layout.devices;
  } else if (layout.num_nodes_fixed) {
    if (world % layout.num_nodes != 0) return "WORLD_SIZE is not a multiple of num_nodes";
    fitted.devices = world / layout.num_nodes;
  } else {
    fitted.devices = local > 0 ? local : 1;
    if (world % fitted.devices != 0)
      return "the processes per node do not divide WORLD_SIZE (every node must run as many)";
    fitted.num_nodes = world / fitted.devices;
  }
  if (fitted.world() != world) return "the numbers differ";
  if (local > 0 && fitted.devices != local) return "the processes per node differ";
  layout = fitted;
  return "";
}

/// WORLD_SIZE next to NODE_RANK/LOCAL_RANK: the number of processes, or (the seeds' notes) the
/// number of nodes when only that reading fits.
void check_world_size_variable(const EnvironmentMap& env, const Layout& layout, DistEnv& out) {
  if (!has(env, "WORLD_SIZE")) return;
  const int value = get_int(env, "WORLD_SIZE", 1, kMaxProcesses);
  if (value == layout.world()) return;
  if (value == layout.num_nodes) {
    out.notes.push_back(
        str_cat("WORLD_SIZE=", value,
                " is read as the number of nodes, as in the seeds' notes: ", layout.text()));
    return;
  }
  throw UsageError(str_cat(
      "WORLD_SIZE=", value, " fits neither reading: as the number of processes (Lightning, ",
      "torchrun) it should be ", layout.text(), "; as the number of nodes (the seeds' notes) ",
      "it should be num_nodes ", layout.num_nodes, ". Set WORLD_SIZE=", layout.world(),
      ", unset it (devices and num_nodes decide), or change --devices / --num_nodes."));
}

/// MASTER_ADDR and MASTER_PORT for processes started separately (by the user or a script).
void read_master(const EnvironmentMap& env, DistEnv& out, bool port_required) {
  if (!has(env, "MASTER_ADDR") && out.num_nodes > 1 && out.node_rank != 0)
    throw UsageError(str_cat("MASTER_ADDR is not set on node ", out.node_rank,
                             ": set it to the address of node 0 (NODE_RANK=0), the same on "
                             "every node."));
  out.master_addr = get(env, "MASTER_ADDR", "127.0.0.1");
  if (has(env, "MASTER_PORT")) {
    out.master_port = get_int(env, "MASTER_PORT", 1, 65535);
  } else if (port_required) {
    throw UsageError(str_cat(
        "MASTER_PORT is not set: the processes of a run started separately must agree on a port. "
        "Set MASTER_PORT (e.g. 29500, a free port on node 0) to the same value everywhere."));
  }
}

int node_rank_from(const EnvironmentMap& env, int num_nodes) {
  const char* name = has(env, "NODE_RANK") ? "NODE_RANK" : "GROUP_RANK";
  if (!has(env, name)) {
    if (num_nodes > 1)
      throw UsageError(str_cat("num_nodes is ", num_nodes,
                               " but NODE_RANK is not set: set NODE_RANK=0 on the first node "
                               "(the one MASTER_ADDR names) and 1 to ",
                               num_nodes - 1, " on the others."));
    return 0;
  }
  const int node = get_int(env, name, 0, kMaxProcesses);
  if (node >= num_nodes)
    throw UsageError(str_cat(name, "=", node, " but num_nodes is ", num_nodes, ": node ranks go ",
                             "from 0 to ", num_nodes - 1, ". Pass --num_nodes on every node."));
  return node;
}

/// A launcher that sets RANK and WORLD_SIZE: torchrun, our own workers, Kubeflow and the like.
DistEnv from_rank_variables(const EnvironmentMap& env, Layout layout) {
  DistEnv out;
  const bool ours = has(env, kWorkerMarker);
  out.kind = ours ? LaunchKind::kWorker : LaunchKind::kTorchrun;
  const std::string who = ours ? "the launcher" : "torchrun (or the launcher that set RANK)";
  if (!has(env, "RANK") || !has(env, "WORLD_SIZE"))
    throw UsageError(str_cat(has(env, "RANK") ? "RANK is set but WORLD_SIZE is not"
                                              : "TORCHELASTIC_RUN_ID is set but RANK is not",
                             ": a launcher that sets one must set RANK, WORLD_SIZE, MASTER_ADDR "
                             "and MASTER_PORT."));
  const int world = get_int(env, "WORLD_SIZE", 1, kMaxProcesses);
  const int local = get_int(env, "LOCAL_WORLD_SIZE", 1, kMaxProcesses, 0);
  const Layout asked = layout;
  std::string why = fit_layout(layout, world, local);
  if (!why.empty())
    throw UsageError(str_cat(
        who, " started WORLD_SIZE=", world, " processes",
        local > 0 ? str_cat(" (LOCAL_WORLD_SIZE=", local, " per node)") : std::string(),
        ", but the config asks for ", asked.text(), " (", why,
        "). Make them agree, or leave devices and num_nodes unset to take the launcher's."));
  out.world_size = world;
  out.local_world_size = layout.devices;
  out.num_nodes = layout.num_nodes;
  out.rank = get_int(env, "RANK", 0, world - 1);
  out.local_rank = get_int(env, "LOCAL_RANK", 0, layout.devices - 1,
                           layout.devices == 1 ? 0 : out.rank % layout.devices);
  const char* node_name = has(env, "GROUP_RANK") ? "GROUP_RANK" : "NODE_RANK";
  out.node_rank = get_int(env, node_name, 0, layout.num_nodes - 1, out.rank / layout.devices);
  if (out.node_rank * layout.devices + out.local_rank != out.rank)
    throw UsageError(str_cat("RANK=", out.rank, " does not match ", node_name, "=", out.node_rank,
                             " and LOCAL_RANK=", out.local_rank, " with ", layout.devices,
                             " processes per node (expected RANK=",
                             out.node_rank * layout.devices + out.local_rank, ")."));
  read_master(env, out, /*port_required=*/true);
  out.agent_store = get(env, "TORCHELASTIC_USE_AGENT_STORE") == "True";
  if (out.agent_store)
    out.store_prefix = "/worker/attempt_" + get(env, "TORCHELASTIC_RESTART_COUNT", "0");
  return out;
}

/// srun: one task per device (SLURM_NTASKS = devices x num_nodes), or one task per node that
/// starts the node's workers (SLURM_NTASKS = num_nodes).
DistEnv from_slurm(const EnvironmentMap& env, Layout layout) {
  DistEnv out;
  const int tasks = get_int(env, "SLURM_NTASKS", 1, kMaxProcesses);
  const int nodes = has(env, "SLURM_NNODES")
                        ? get_int(env, "SLURM_NNODES", 1, kMaxProcesses)
                        : get_int(env, "SLURM_JOB_NUM_NODES", 1, kMaxProcesses, 1);
  const int task = get_int(env, "SLURM_PROCID", 0, tasks - 1);
  const bool one_task_per_node = layout.devices_fixed && layout.devices > 1 && tasks == nodes &&
                                 (!layout.num_nodes_fixed || layout.num_nodes == tasks);
  if (one_task_per_node) {
    out.kind = LaunchKind::kLauncher;
    layout.num_nodes = tasks;
    out.node_rank = get_int(env, "SLURM_NODEID", 0, tasks - 1, task);
  } else {
    const Layout asked = layout;
    std::string why = fit_layout(layout, tasks, tasks % nodes == 0 ? tasks / nodes : 0);
    if (!why.empty())
      throw UsageError(
          str_cat("srun started SLURM_NTASKS=", tasks, " tasks on SLURM_NNODES=", nodes,
                  " nodes, but the config asks for ", asked.text(), " (", why,
                  "). Start one task per device (--ntasks-per-node=devices) or one per node "
                  "(--ntasks-per-node=1, and imagenet_train starts the node's devices)."));
    out.kind = LaunchKind::kSlurm;
    out.rank = task;
    out.local_rank = get_int(env, "SLURM_LOCALID", 0, layout.devices - 1, 0);
    out.node_rank = get_int(env, "SLURM_NODEID", 0, layout.num_nodes - 1, task / layout.devices);
  }
  out.local_world_size = layout.devices;
  out.num_nodes = layout.num_nodes;
  out.world_size = layout.world();
  if (out.kind == LaunchKind::kLauncher) out.rank = out.node_rank * layout.devices;
  const std::string nodelist = get(env, "SLURM_JOB_NODELIST", get(env, "SLURM_NODELIST"));
  out.master_addr = get(env, "MASTER_ADDR",
                        nodelist.empty() ? std::string("127.0.0.1") : first_slurm_host(nodelist));
  if (has(env, "MASTER_PORT")) {
    out.master_port = get_int(env, "MASTER_PORT", 1, 65535);
  } else {
    // Lightning's choice, so every task derives the same port from the job id.
    const std::string job = get(env, "SLURM_JOB_ID", "2910");
    const std::string tail = job.size() > 4 ? job.substr(job.size() - 4) : job;
    out.master_port = 15000 + static_cast<int>(std::strtol(tail.c_str(), nullptr, 10));
  }
  return out;
}

bool slurm_manages_tasks(const EnvironmentMap& env) {
  const std::string job_name = get(env, "SLURM_JOB_NAME");
  if (job_name == "bash" || job_name == "interactive") return false;  // an interactive shell
  return has(env, "SLURM_PROCID") && has(env, "SLURM_NTASKS") &&
         get_int(env, "SLURM_NTASKS", 1, kMaxProcesses) > 1;
}

}  // namespace

EnvironmentMap current_environment() {
  EnvironmentMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text = *entry;
    auto eq = text.find('=');
    if (eq != std::string::npos) env[text.substr(0, eq)] = text.substr(eq + 1);
  }
  return env;
}

std::string to_string(LaunchKind kind) {
  switch (kind) {
    case LaunchKind::kSingle:
      return "a single process";
    case LaunchKind::kLauncher:
      return "imagenet_train, starting one worker per device";
    case LaunchKind::kWorker:
      return "imagenet_train --devices";
    case LaunchKind::kEnv:
      return "LOCAL_RANK/NODE_RANK variables";
    case LaunchKind::kTorchrun:
      return "torchrun (RANK/WORLD_SIZE variables)";
    case LaunchKind::kSlurm:
      return "srun (SLURM variables)";
  }
  return "?";
}

std::string DistEnv::describe() const {
  if (!distributed && kind == LaunchKind::kSingle) return "a single process";
  return str_cat("rank ", rank, " of ", world_size, " (node ", node_rank, " of ", num_nodes,
                 ", local rank ", local_rank, " of ", local_world_size, "), started by ",
                 to_string(kind));
}

DistEnv resolve_dist_env(const EnvironmentMap& env, const DistRequest& request) {
  Layout layout(request);
  DistEnv out;
  if (has(env, "RANK") || has(env, "TORCHELASTIC_RUN_ID")) {
    out = from_rank_variables(env, layout);
  } else if (slurm_manages_tasks(env)) {
    out = from_slurm(env, layout);
  } else if (has(env, "LOCAL_RANK")) {
    // One process per device, started by the user or a script on each node.
    out.kind = LaunchKind::kEnv;
    out.local_world_size = layout.devices;
    out.num_nodes = layout.num_nodes;
    out.world_size = layout.world();
    out.local_rank = get_int(env, "LOCAL_RANK", 0, kMaxProcesses);
    if (out.local_rank >= layout.devices)
      throw UsageError(str_cat("LOCAL_RANK=", out.local_rank, " but devices is ", layout.devices,
                               " (", layout.devices_origin, "): local ranks go from 0 to ",
                               layout.devices - 1, "."));
    out.node_rank = node_rank_from(env, layout.num_nodes);
    out.rank = out.node_rank * layout.devices + out.local_rank;
    check_world_size_variable(env, layout, out);
    read_master(env, out, /*port_required=*/true);
  } else if (layout.world() > 1) {
    // This process starts the node's workers: `--devices N`, on each node with NODE_RANK.
    // With one device per node it is the node's only worker itself.
    out.kind = layout.devices == 1 ? LaunchKind::kEnv : LaunchKind::kLauncher;
    out.local_world_size = layout.devices;
    out.num_nodes = layout.num_nodes;
    out.world_size = layout.world();
    out.node_rank = node_rank_from(env, layout.num_nodes);
    out.rank = out.node_rank * layout.devices;
    check_world_size_variable(env, layout, out);
    read_master(env, out, /*port_required=*/layout.num_nodes > 1);
  } else {
    out.kind = LaunchKind::kSingle;
    check_world_size_variable(env, layout, out);
    out.master_port = get_int(env, "MASTER_PORT", 1, 65535, 0);
  }
  if (out.kind != LaunchKind::kLauncher) out.distributed = out.world_size > 1 || request.force_ddp;
  out.gloo_interfaces = get(env, "GLOO_SOCKET_IFNAME");
  return out;
}

EnvironmentMap worker_environment(const DistEnv& launcher, int local_rank) {
  IMAGENET_CHECK(launcher.kind == LaunchKind::kLauncher, "not a launcher");
  IMAGENET_CHECK(local_rank >= 0 && local_rank < launcher.local_world_size, "local rank ",
                 local_rank, " outside ", launcher.local_world_size);
  EnvironmentMap env;
  env["RANK"] = std::to_string(launcher.node_rank * launcher.local_world_size + local_rank);
  env["LOCAL_RANK"] = std::to_string(local_rank);
  env["WORLD_SIZE"] = std::to_string(launcher.world_size);
  env["LOCAL_WORLD_SIZE"] = std::to_string(launcher.local_world_size);
  env["NODE_RANK"] = std::to_string(launcher.node_rank);
  env["GROUP_RANK"] = std::to_string(launcher.node_rank);
  env["MASTER_ADDR"] = launcher.master_addr;
  env["MASTER_PORT"] = std::to_string(launcher.master_port);
  env[kWorkerMarker] = "imagenet_train";
  return env;
}

std::string first_slurm_host(const std::string& node_list) {
  std::string host;
  for (size_t i = 0; i < node_list.size(); ++i) {
    const char c = node_list[i];
    if (c == ',' || c == ' ') break;
    if (c == '[') {
      // The first number of the range list: "03" of "[03-05,07]".
      for (++i; i < node_list.size() && node_list[i] != ',' && node_list[i] != '-' &&
                node_list[i] != ']';
           ++i)
        host += node_list[i];
      break;
    }
    host += c;
  }
  return host;
}

}  // namespace imagenet
