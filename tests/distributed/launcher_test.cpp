// Tests distributed/launcher with small shell workers: each gets its own environment, all
// succeed or the first failure stops the others and is named (rank, exit code or signal), and
// a worker that ignores SIGTERM is killed after the grace period; workers that end by
// themselves right after a failure are left to do so.
#include "imagenet/distributed/launcher.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

/// One `sh -c script` worker per script; script i sees RANK=i.
LaunchOptions shell_workers(const std::vector<std::string>& scripts,
                            const std::string& script_dir) {
  LaunchOptions o;
  o.executable = "/bin/sh";
  o.argv = {"sh", "-c", "cd \"$WORK\" && eval \"$SCRIPT\""};
  for (size_t i = 0; i < scripts.size(); ++i)
    o.workers.push_back(
        {static_cast<int>(i),
         {{"RANK", std::to_string(i)}, {"SCRIPT", scripts[i]}, {"WORK", script_dir}}});
  return o;
}

/// True once process `pid` has ended (gone, or a zombie nobody reaped yet); false if it still
/// runs after `seconds`. Not a timing check: the process is killed, this only waits for it.
bool ends_within_seconds(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, name, state;
    if (!(stat >> pid_field >> name >> state) || state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(Launcher, EveryWorkerRunsWithItsOwnEnvironment) {
  testing::TempDir dir;
  LaunchResult r = run_workers(
      shell_workers({"echo $RANK > rank_$RANK", "echo $RANK > rank_$RANK"}, dir.path()));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.failed_rank, -1);
  EXPECT_EQ(read_file(dir.file("rank_0")), "0\n");
  EXPECT_EQ(read_file(dir.file("rank_1")), "1\n");
}

TEST(Launcher, AFailedWorkerStopsTheOthersAndIsNamed) {
  testing::TempDir dir;
  // Rank 0 would run for a minute, in a child process of its own; rank 1 fails once that
  // child has started.
  LaunchResult r = run_workers(shell_workers({"sleep 60 & echo $! > child; wait; touch finished",
                                              "while [ ! -s child ]; do sleep 0.05; done; exit 3"},
                                             dir.path()));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.failed_rank, 1);
  EXPECT_NE(r.message.find("rank 1 (pid "), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("exited with code 3"), std::string::npos) << r.message;
  EXPECT_FALSE(path_exists(dir.file("finished")));  // rank 0 was stopped, not waited for
  // Its child was stopped with it (the worker's process group got the signal).
  const pid_t child = static_cast<pid_t>(std::stol(read_file(dir.file("child"))));
  EXPECT_TRUE(ends_within_seconds(child, 10)) << "worker's child " << child << " still runs";
}

TEST(Launcher, WorkersEndingOnTheirOwnAfterAFailureAreNotStopped) {
  testing::TempDir dir;
  // Rank 1 fails at once; rank 0 ends by itself a moment later (as ranks that reach the same
  // verdict do) and is left to finish.
  LaunchOptions o = shell_workers({"sleep 0.3; touch finished", "exit 1"}, dir.path());
  o.settle = std::chrono::seconds(30);
  LaunchResult r = run_workers(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.failed_rank, 1);
  EXPECT_TRUE(path_exists(dir.file("finished")));
}

TEST(Launcher, AKilledWorkerIsReportedWithItsSignal) {
  testing::TempDir dir;
  LaunchResult r = run_workers(shell_workers({"exec sleep 60", "kill -9 $$"}, dir.path()));
  EXPECT_EQ(r.exit_code, 128 + 9);
  EXPECT_EQ(r.failed_rank, 1);
  EXPECT_NE(r.message.find("was killed by signal 9"), std::string::npos) << r.message;
}

TEST(Launcher, WorkersIgnoringSigtermAreKilledAfterTheGracePeriod) {
  testing::TempDir dir;
  LaunchOptions o = shell_workers({"trap '' TERM; exec sleep 60", "exit 1"}, dir.path());
  o.grace = std::chrono::milliseconds(300);
  LaunchResult r = run_workers(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.failed_rank, 1);
  EXPECT_NE(r.message.find("exited with code 1 (a runtime error)"), std::string::npos) << r.message;
}

TEST(Launcher, MissingProgramFailsLikeAWorker) {
  LaunchOptions o;
  o.executable = "/nonexistent/imagenet_train";
  o.argv = {"imagenet_train"};
  o.workers = {{0, {}}};
  LaunchResult r = run_workers(o);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.failed_rank, 0);
}

TEST(Launcher, FreePortsAreUsablePorts) {
  const int port = find_free_port();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace imagenet
