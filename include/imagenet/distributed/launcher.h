// Starts the workers of one node (`--devices N`): N processes of the same command, each with its
// own environment (RANK, LOCAL_RANK, ...), and waits for them. Ctrl-C and SIGTERM are passed on
// to every worker; when one worker fails the others are stopped, and the result says which rank
// failed and how. No torch here: the launcher never touches a tensor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "imagenet/distributed/launch_env.h"

namespace imagenet {

struct WorkerSpec {
  int rank = 0;                ///< global rank, for messages
  EnvironmentMap environment;  ///< set on top of this process's environment
};

struct LaunchOptions {
  std::string executable;         ///< program to start; "/proc/self/exe" is this binary
  std::vector<std::string> argv;  ///< its arguments, argv[0] included
  std::vector<WorkerSpec> workers;
  /// After a worker fails, how long the others get to end on their own before SIGTERM: ranks
  /// that end together (the same usage error on each, the LR finder's verdict) are not
  /// reported as stopped.
  std::chrono::milliseconds settle{std::chrono::seconds(1)};
  /// After SIGTERM, how long the others get to exit before SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds(30)};
};

struct LaunchResult {
  /// 0 when every worker succeeded; else the exit code of the first worker that failed
  /// (128 + signal when it was killed), or of the workers a forwarded signal stopped.
  int exit_code = 0;
  int failed_rank = -1;  ///< the first worker that failed on its own; -1 when none did
  std::string message;   ///< e.g. "rank 1 (pid 4242) was killed by signal 9 (Killed)"
};

/// Runs the workers to the end. The first SIGINT or SIGTERM this process receives is passed on
/// to every worker (they save last.ckpt and stop); a second one kills them.
LaunchResult run_workers(const LaunchOptions& options);

/// "exited with code 1" or "was killed by signal 9 (Killed)", from a waitpid status.
std::string describe_exit_status(int status);

/// A TCP port that is free on this machine now (a single node's rendezvous port).
int find_free_port();

}  // namespace imagenet
