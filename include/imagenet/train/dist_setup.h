// What every command that trains (train, bench-ddp) does to take its place in a run: pick
// its device from its local rank, start the node's workers when it is the launcher, and join
// the process group. Derived from the config and the launch environment, in one place.
#pragma once

#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/distributed/launch_env.h"
#include "imagenet/distributed/process_group.h"

namespace imagenet {

/// devices, num_nodes and strategy of `config`, with where they were set.
DistRequest dist_request(const Config& config);

/// resolve_device (run_setup.h) for one rank of a run: its GPU is cuda:<local rank>, made
/// current for NCCL. Throws UsageError when the local rank has no GPU.
c10::Device resolve_device(const Config& config, const DistEnv& dist);

/// The launcher's work: runs `argv` once per local device with the worker's environment and
/// waits; returns the exit code (that of the first worker to fail, 0 when all succeed).
/// A failed worker is reported as "<what> failed: rank r ... <where_to_look>", `what` naming
/// the job ("training", "the LR finder").
int launch_workers(const std::vector<std::string>& argv, DistEnv dist, const std::string& what,
                   const std::string& where_to_look);

/// Only rank 0 talks to the console: the other ranks log with a "[rank r] " prefix, to their
/// file only, and print nothing but their errors. Rank 0's logging is left as it is.
void log_as_rank(const DistEnv& dist, bool verbose);

/// Opens this rank's log file for `command` ("train", "lrfind"): <output_dir>/logs/
/// <command>_<stamp>.log on rank 0, <command>_<stamp>_rank<r>.log on the others.
void open_rank_log(const std::string& output_dir, const std::string& command,
                   const std::string& stamp, const DistEnv& dist);

/// Meets the other ranks (dist_timeout); from then on a failure of any rank stops every rank.
std::shared_ptr<ProcessGroup> join_process_group(const Config& config, const DistEnv& dist,
                                                 const c10::Device& device);

}  // namespace imagenet
