// Tests distributed/launch_env: each way of launching (plain, --devices, MASTER_ADDR/NODE_RANK
// per node, LOCAL_RANK per device, torchrun, srun) gives every process its rank, and settings
// that disagree are refused with a message that names both sides.
#include "imagenet/distributed/launch_env.h"

#include <gtest/gtest.h>

#include <set>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

DistRequest request(int devices, int num_nodes, bool set = true) {
  DistRequest r;
  r.devices = devices;
  r.num_nodes = num_nodes;
  if (set) {
    r.devices_origin = "--devices";
    r.num_nodes_origin = "--num_nodes";
  }
  return r;
}

std::string error_of(const EnvironmentMap& env, const DistRequest& r) {
  try {
    resolve_dist_env(env, r);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(LaunchEnv, PlainCommandIsOneProcess) {
  DistEnv d = resolve_dist_env({}, DistRequest{});
  EXPECT_EQ(d.kind, LaunchKind::kSingle);
  EXPECT_FALSE(d.distributed);
  EXPECT_EQ(d.world_size, 1);
  // strategy: ddp makes a group of one (the NCCL path on a single GPU).
  DistRequest ddp;
  ddp.force_ddp = true;
  EXPECT_TRUE(resolve_dist_env({}, ddp).distributed);
}

TEST(LaunchEnv, DevicesOnOneMachineStartWorkersWithTheirRanks) {
  DistEnv launcher = resolve_dist_env({}, request(4, 1));
  EXPECT_EQ(launcher.kind, LaunchKind::kLauncher);
  EXPECT_EQ(launcher.world_size, 4);
  EXPECT_EQ(launcher.local_world_size, 4);
  EXPECT_EQ(launcher.master_addr, "127.0.0.1");
  EXPECT_EQ(launcher.master_port, 0);  // picked when the workers start
  launcher.master_port = 29501;
  std::set<int> ranks;
  for (int i = 0; i < 4; ++i) {
    EnvironmentMap env = worker_environment(launcher, i);
    DistEnv worker = resolve_dist_env(env, request(4, 1));
    EXPECT_EQ(worker.kind, LaunchKind::kWorker);
    EXPECT_TRUE(worker.distributed);
    EXPECT_EQ(worker.local_rank, i);
    EXPECT_EQ(worker.world_size, 4);
    EXPECT_EQ(worker.master_port, 29501);
    ranks.insert(worker.rank);
  }
  EXPECT_EQ(ranks, (std::set<int>{0, 1, 2, 3}));
}

TEST(LaunchEnv, SeedsMultiNodeVariablesGiveGlobalRanks) {
  // The seeds' notes: on each node MASTER_ADDR, MASTER_PORT, NODE_RANK, and WORLD_SIZE as the
  // number of nodes; the command says --devices 4 --num_nodes 2.
  EnvironmentMap env{{"MASTER_ADDR", "10.0.0.1"},
                     {"MASTER_PORT", "12355"},
                     {"NODE_RANK", "1"},
                     {"WORLD_SIZE", "2"}};
  DistEnv node1 = resolve_dist_env(env, request(4, 2));
  EXPECT_EQ(node1.kind, LaunchKind::kLauncher);
  EXPECT_EQ(node1.node_rank, 1);
  EXPECT_EQ(node1.world_size, 8);
  EXPECT_EQ(node1.rank, 4);
  EXPECT_EQ(node1.master_addr, "10.0.0.1");
  ASSERT_EQ(node1.notes.size(), 1u);
  EXPECT_NE(node1.notes[0].find("WORLD_SIZE=2 is read as the number of nodes"), std::string::npos);
  EnvironmentMap worker = worker_environment(node1, 3);
  EXPECT_EQ(worker.at("RANK"), "7");
  EXPECT_EQ(worker.at("WORLD_SIZE"), "8");  // the workers get the number of processes
  EXPECT_EQ(resolve_dist_env(worker, request(4, 2)).rank, 7);
  // WORLD_SIZE as the number of processes (Lightning's contract) is fine too, silently.
  env["WORLD_SIZE"] = "8";
  EXPECT_TRUE(resolve_dist_env(env, request(4, 2)).notes.empty());
}

TEST(LaunchEnv, OneDevicePerNodeTrainsInTheProcessItself) {
  EnvironmentMap env{{"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "12355"}, {"NODE_RANK", "1"}};
  DistEnv d = resolve_dist_env(env, request(1, 3));
  EXPECT_EQ(d.kind, LaunchKind::kEnv);
  EXPECT_TRUE(d.distributed);
  EXPECT_EQ(d.rank, 1);
  EXPECT_EQ(d.world_size, 3);
}

TEST(LaunchEnv, WorldSizeFittingNeitherReadingIsRefusedShowingBoth) {
  EnvironmentMap env{{"MASTER_ADDR", "10.0.0.1"},
                     {"MASTER_PORT", "12355"},
                     {"NODE_RANK", "0"},
                     {"WORLD_SIZE", "4"}};
  std::string message = error_of(env, request(4, 2));
  EXPECT_NE(message.find("WORLD_SIZE=4 fits neither reading"), std::string::npos) << message;
  EXPECT_NE(message.find("devices 4 (--devices) x num_nodes 2 (--num_nodes) = 8 processes"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("as the number of nodes (the seeds' notes) it should be num_nodes 2"),
            std::string::npos)
      << message;
  // One device per node: WORLD_SIZE=2 reads the same both ways; a 3 fits neither.
  env["WORLD_SIZE"] = "3";
  env["LOCAL_RANK"] = "0";
  EXPECT_NE(error_of(env, request(1, 2)).find("fits neither reading"), std::string::npos);
  env["WORLD_SIZE"] = "2";
  EXPECT_EQ(resolve_dist_env(env, request(1, 2)).world_size, 2);
}

TEST(LaunchEnv, SeveralNodesNeedNodeRankPortAndAddress) {
  EXPECT_NE(error_of({{"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}}, request(2, 2))
                .find("NODE_RANK is not set"),
            std::string::npos);
  EXPECT_NE(error_of({{"MASTER_ADDR", "h"}, {"NODE_RANK", "1"}}, request(2, 2))
                .find("MASTER_PORT is not set"),
            std::string::npos);
  EXPECT_NE(error_of({{"MASTER_PORT", "1"}, {"NODE_RANK", "1"}}, request(2, 2))
                .find("MASTER_ADDR is not set on node 1"),
            std::string::npos);
  // Node 0 may leave MASTER_ADDR out: it hosts the store.
  EXPECT_EQ(resolve_dist_env({{"MASTER_PORT", "1"}, {"NODE_RANK", "0"}}, request(2, 2)).rank, 0);
  EXPECT_NE(
      error_of({{"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}, {"NODE_RANK", "2"}}, request(2, 2))
          .find("NODE_RANK=2 but num_nodes is 2"),
      std::string::npos);
  EXPECT_NE(error_of({{"MASTER_PORT", "x"}, {"NODE_RANK", "0"}}, request(2, 2))
                .find("MASTER_PORT=\"x\" is not a whole number"),
            std::string::npos);
}

TEST(LaunchEnv, LocalRankPerDeviceStartedByHand) {
  EnvironmentMap env{{"MASTER_ADDR", "10.0.0.1"},
                     {"MASTER_PORT", "12355"},
                     {"NODE_RANK", "1"},
                     {"LOCAL_RANK", "2"}};
  DistEnv d = resolve_dist_env(env, request(4, 2));
  EXPECT_EQ(d.kind, LaunchKind::kEnv);
  EXPECT_EQ(d.rank, 6);
  EXPECT_EQ(d.local_rank, 2);
  EXPECT_TRUE(d.distributed);
  env["LOCAL_RANK"] = "4";
  EXPECT_NE(error_of(env, request(4, 2)).find("LOCAL_RANK=4 but devices is 4"), std::string::npos);
}

TEST(LaunchEnv, TorchrunVariablesAndAgentStore) {
  EnvironmentMap env{{"RANK", "5"},
                     {"LOCAL_RANK", "1"},
                     {"WORLD_SIZE", "8"},
                     {"LOCAL_WORLD_SIZE", "4"},
                     {"GROUP_RANK", "1"},
                     {"MASTER_ADDR", "node0"},
                     {"MASTER_PORT", "29500"},
                     {"TORCHELASTIC_RUN_ID", "none"},
                     {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                     {"TORCHELASTIC_RESTART_COUNT", "2"}};
  // devices and num_nodes left unset: the launcher's layout is taken.
  DistEnv d = resolve_dist_env(env, request(1, 1, /*set=*/false));
  EXPECT_EQ(d.kind, LaunchKind::kTorchrun);
  EXPECT_EQ(d.rank, 5);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.node_rank, 1);
  EXPECT_EQ(d.world_size, 8);
  EXPECT_EQ(d.local_world_size, 4);
  EXPECT_EQ(d.num_nodes, 2);
  EXPECT_TRUE(d.agent_store);
  EXPECT_EQ(d.store_prefix, "/worker/attempt_2");
  // Set and agreeing, or only devices set: fine. Set and disagreeing: refused.
  EXPECT_EQ(resolve_dist_env(env, request(4, 2)).world_size, 8);
  DistRequest only_devices = request(4, 1, /*set=*/false);
  only_devices.devices_origin = "--devices";
  EXPECT_EQ(resolve_dist_env(env, only_devices).num_nodes, 2);
  std::string message = error_of(env, request(2, 1));
  EXPECT_NE(message.find("started WORLD_SIZE=8 processes (LOCAL_WORLD_SIZE=4 per node)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("devices 2 (--devices) x num_nodes 1 (--num_nodes) = 2"),
            std::string::npos)
      << message;
  // Without the agent store, rank 0 hosts the store itself.
  env.erase("TORCHELASTIC_USE_AGENT_STORE");
  EXPECT_FALSE(resolve_dist_env(env, request(4, 2)).agent_store);
  // RANK that contradicts the node and local rank.
  env["RANK"] = "2";
  EXPECT_NE(error_of(env, request(4, 2)).find("RANK=2 does not match GROUP_RANK=1"),
            std::string::npos);
}

TEST(LaunchEnv, RankWithoutWorldSizeIsRefused) {
  EXPECT_NE(error_of({{"RANK", "0"}}, request(1, 1)).find("RANK is set but WORLD_SIZE is not"),
            std::string::npos);
}

TEST(LaunchEnv, SlurmOneTaskPerDevice) {
  EnvironmentMap env{{"SLURM_NTASKS", "8"},       {"SLURM_PROCID", "6"},
                     {"SLURM_LOCALID", "2"},      {"SLURM_NODEID", "1"},
                     {"SLURM_NNODES", "2"},       {"SLURM_JOB_ID", "123456"},
                     {"SLURM_JOB_NAME", "train"}, {"SLURM_JOB_NODELIST", "gpu[07-08]"}};
  DistEnv d = resolve_dist_env(env, request(4, 2));
  EXPECT_EQ(d.kind, LaunchKind::kSlurm);
  EXPECT_EQ(d.rank, 6);
  EXPECT_EQ(d.local_rank, 2);
  EXPECT_EQ(d.node_rank, 1);
  EXPECT_EQ(d.master_addr, "gpu07");
  EXPECT_EQ(d.master_port, 15000 + 3456);  // Lightning's port from the job id
  EXPECT_EQ(resolve_dist_env(env, request(1, 1, false)).world_size, 8);  // taken from srun
  EXPECT_NE(error_of(env, request(2, 2)).find("srun started SLURM_NTASKS=8 tasks"),
            std::string::npos);
  // An interactive shell inside an allocation is not a task of a run.
  env["SLURM_JOB_NAME"] = "bash";
  EXPECT_EQ(resolve_dist_env(env, request(1, 1)).kind, LaunchKind::kSingle);
}

TEST(LaunchEnv, SlurmOneTaskPerNodeStartsTheNodesWorkers) {
  EnvironmentMap env{{"SLURM_NTASKS", "2"}, {"SLURM_PROCID", "1"},       {"SLURM_NODEID", "1"},
                     {"SLURM_NNODES", "2"}, {"SLURM_NODELIST", "a1,b2"}, {"MASTER_PORT", "4000"}};
  DistEnv d = resolve_dist_env(env, request(4, 2));
  EXPECT_EQ(d.kind, LaunchKind::kLauncher);
  EXPECT_EQ(d.node_rank, 1);
  EXPECT_EQ(d.rank, 4);
  EXPECT_EQ(d.world_size, 8);
  EXPECT_EQ(d.master_addr, "a1");
  EXPECT_EQ(d.master_port, 4000);
  // The workers it starts are not mistaken for srun tasks.
  EnvironmentMap worker = env;
  for (const auto& [k, v] : worker_environment(d, 3)) worker[k] = v;
  DistEnv w = resolve_dist_env(worker, request(4, 2));
  EXPECT_EQ(w.kind, LaunchKind::kWorker);
  EXPECT_EQ(w.rank, 7);
}

TEST(LaunchEnv, FirstSlurmHost) {
  EXPECT_EQ(first_slurm_host("gpu[03-05,07],cpu1"), "gpu03");
  EXPECT_EQ(first_slurm_host("node1,node2"), "node1");
  EXPECT_EQ(first_slurm_host("a[1]"), "a1");
  EXPECT_EQ(first_slurm_host("host"), "host");
}

}  // namespace
}  // namespace imagenet
