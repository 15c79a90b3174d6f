// Tests logging/wandb_sync: the command W&B documents for importing TensorBoard folders, and the
// child process it runs. `wandb` itself cannot be installed here (it comes from PyPI), so a
// stand-in script in its place records what it was given and how it was started; what is under
// test is the process handling: arguments, append after a success, failures reported and not
// thrown, a slow upload left running, signals unblocked and a process group of its own.
#include "imagenet/logging/wandb_sync.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

// A stand-in wandb (Python: a shell would reset the signal mask it inherits): appends its
// arguments, one per line, then "--", to ARGS; writes its signal mask and whether it leads its
// own process group to INFO; prints a line; sleeps; exits with `code`.
std::string write_stand_in(const testing::TempDir& dir, int code, double sleep_seconds) {
  const std::string path = dir.file("bin/wandb");
  testing::write_text(
      path, str_cat("#!/usr/bin/python3\n", "import os, sys, time\n", "with open('",
                    dir.file("args"), "', 'a') as f:\n", "    f.write(''.join(a + '\\n' for a in ",
                    "sys.argv[1:]) + '--\\n')\n",
                    "mask = [l for l in open('/proc/self/status') if l.startswith('SigBlk')]\n",
                    "leader = 'leader\\n' if os.getpgrp() == os.getpid() else 'member\\n'\n",
                    "open('", dir.file("info"), "', 'w').write(mask[0] + leader)\n",
                    "print('wandb: Syncing: https://example/run', flush=True)\n", "time.sleep(",
                    sleep_seconds, ")\n", "sys.exit(", code, ")\n"));
  ::chmod(path.c_str(), 0755);
  return path;
}

WandbSyncOptions options_in(const testing::TempDir& dir) {
  WandbSyncOptions o;
  o.tensorboard_dir = dir.file("run one/tensorboard");
  o.project = "imagenet-resnet50";
  o.run_name = "single-gpu run:1";
  o.log_path = dir.file("wandb_sync.log");
  return o;
}

// The notes as lines, "!" before each warning.
std::string text(const WandbNotes& notes) {
  std::string out;
  for (const WandbNote& n : notes)
    out += std::string(out.empty() ? "" : "\n") + (n.warning ? "!" : "") + n.text;
  return out;
}

std::string wait_done(WandbSyncer& syncer) {
  for (int i = 0; i < 200; ++i) {
    std::string line = text(syncer.poll());
    if (!line.empty()) return line;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "still running";
}

TEST(WandbSync, CommandIsWandbsImportOfTensorBoardFolders) {
  EXPECT_EQ(wandb_run_id("single-gpu-run-1"), "single-gpu-run-1");
  EXPECT_EQ(wandb_run_id("a/b c#d?e%f:g\\h"), "a-b-c-d-e-f-g-h");
  WandbSyncOptions o;
  o.tensorboard_dir = "/runs/my run/tensorboard";
  o.project = "imagenet-resnet50";
  o.run_name = "resnet-strikes-back-4gpu";
  EXPECT_EQ(shell_command_line(wandb_sync_command(o, false)),
            "wandb sync '/runs/my run/tensorboard' --sync-tensorboard -p imagenet-resnet50 --id "
            "resnet-strikes-back-4gpu");
  o.entity = "team";
  o.run_name = "it's";
  EXPECT_EQ(shell_command_line(wandb_sync_command(o, true)),
            "wandb sync '/runs/my run/tensorboard' --sync-tensorboard -p imagenet-resnet50 -e team "
            "--id 'it'\\''s' --append");
}

TEST(WandbSync, RunsTheChildWithItsArgumentsAndAppendsAfterASuccess) {
  testing::TempDir dir;
  const std::string wandb = write_stand_in(dir, 0, 0);
  WandbSyncer syncer(options_in(dir), wandb);
  ASSERT_TRUE(syncer.available());
  // The trainer's threads block signals; the upload must not inherit that.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  const std::string started = text(syncer.start());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_NE(started.find("wandb_sync: uploading (pid "), std::string::npos) << started;
  EXPECT_NE(started.find(dir.file("wandb_sync.log")), std::string::npos) << started;
  EXPECT_EQ(wait_done(syncer), "wandb_sync: upload finished");
  EXPECT_EQ(read_file(dir.file("info")), "SigBlk:\t0000000000000000\nleader\n");
  EXPECT_NE(text(syncer.start()).find("--append"), std::string::npos);
  EXPECT_EQ(wait_done(syncer), "wandb_sync: upload finished");
  EXPECT_EQ(read_file(dir.file("args")),
            str_cat("sync\n", dir.file("run one/tensorboard"),
                    "\n--sync-tensorboard\n-p\nimagenet-resnet50\n--id\nsingle-gpu-run-1\n--\n",
                    "sync\n", dir.file("run one/tensorboard"),
                    "\n--sync-tensorboard\n-p\nimagenet-resnet50\n--id\nsingle-gpu-run-1\n"
                    "--append\n--\n"));
  EXPECT_NE(read_file(dir.file("wandb_sync.log")).find("wandb: Syncing:"), std::string::npos);
}

TEST(WandbSync, FailuresAndAbsenceAreReportedNotThrown) {
  testing::TempDir dir;
  WandbSyncer failing(options_in(dir), write_stand_in(dir, 3, 0));
  failing.start();
  const std::string failed = wait_done(failing);
  EXPECT_NE(failed.find("!wandb_sync: wandb failed (exit code 3); its output is in " +
                        dir.file("wandb_sync.log")),
            std::string::npos)
      << failed;
  EXPECT_NE(failed.find("training is not affected"), std::string::npos);
  // The W&B run was never made, so the next upload does not append.
  EXPECT_EQ(failing.command_line().find("--append"), std::string::npos);

  WandbSyncer missing(options_in(dir), "wandb-that-is-not-installed");
  EXPECT_FALSE(missing.available());
  const std::string line = text(missing.start());
  EXPECT_NE(line.find("!wandb_sync: no 'wandb-that-is-not-installed' on PATH; upload the event "
                      "files with: wandb-that-is-not-installed sync"),
            std::string::npos)
      << line;
  EXPECT_NE(text(missing.finish(1.0)).find("no 'wandb-that-is-not-installed' on PATH"),
            std::string::npos);
}

TEST(WandbSync, FinishLeavesASlowUploadRunning) {
  testing::TempDir dir;
  WandbSyncer syncer(options_in(dir), write_stand_in(dir, 0, 3));
  syncer.start();
  const std::string line = text(syncer.finish(0.2));
  EXPECT_NE(line.find("wandb_sync: the upload goes on in the background (pid "), std::string::npos)
      << line;
  // finish did not start a second upload beside the running one.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(str_split(str_trim(read_file(dir.file("args"))), '\n').size(), 8u);
  EXPECT_EQ(wait_done(syncer), "wandb_sync: upload finished");
}

}  // namespace
}  // namespace imagenet
