// Tests util/fs: removing trees and files without std::filesystem::remove_all, and writes that
// fail for want of space (RLIMIT_FSIZE makes a write past a size fail as a full disk would).
#include "imagenet/util/fs.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <sys/wait.h>

#include <filesystem>
#include <functional>

#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

TEST(Fs, RemoveTreeRemovesNestedFoldersButNotWhatLinksPointTo) {
  testing::TempDir tmp;
  const std::string keep = tmp.file("keep/precious.txt");
  ensure_directory(tmp.file("keep"));
  write_file_atomic(keep, "do not delete");
  ensure_directory(tmp.file("tree/a/b"));
  write_file_atomic(tmp.file("tree/a/b/x.jpg"), "x");
  write_file_atomic(tmp.file("tree/top.txt"), "y");
  ASSERT_EQ(::symlink(tmp.file("keep").c_str(), tmp.file("tree/a/link").c_str()), 0);

  remove_tree(tmp.file("tree"));
  EXPECT_FALSE(path_exists(tmp.file("tree")));
  EXPECT_EQ(read_file(keep), "do not delete");  // the link was removed, not followed

  remove_tree(tmp.file("tree"));  // already gone: fine
}

TEST(Fs, RemoveFileSaysWhetherItExisted) {
  testing::TempDir tmp;
  write_file_atomic(tmp.file("f"), "1");
  EXPECT_TRUE(remove_file(tmp.file("f")));
  EXPECT_FALSE(remove_file(tmp.file("f")));
  ensure_directory(tmp.file("dir"));
  EXPECT_THROW(remove_file(tmp.file("dir")), RuntimeError);  // a folder is not a file
}

/// Runs `body` in a child process whose files may not grow past `limit` bytes (writes past it
/// fail with EFBIG, as they would with ENOSPC on a full disk); the child's exit code.
int with_file_size_limit(rlim_t limit, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // a failed write, not a killed process
    rlimit r{limit, limit};
    ::setrlimit(RLIMIT_FSIZE, &r);
    std::_Exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(Fs, StaleTemporaryFilesOfDeadProcessesAreRemoved) {
  testing::TempDir tmp;
  // A process killed during a write leaves NAME.tmp.PID; a finished child's pid is free.
  const pid_t dead = ::fork();
  if (dead == 0) std::_Exit(0);
  ::waitpid(dead, nullptr, 0);
  write_file_atomic(tmp.file("last.ckpt"), "good");
  write_file_atomic(tmp.file(str_cat("last.ckpt.tmp.", dead)), "half");
  write_file_atomic(tmp.file(str_cat("last.ckpt.tmp.", ::getpid())), "being written");
  write_file_atomic(tmp.file("notes.tmp.txt"), "not a temporary of ours");
  EXPECT_EQ(remove_stale_temporary_files(tmp.path()), 1);
  EXPECT_FALSE(path_exists(tmp.file(str_cat("last.ckpt.tmp.", dead))));
  EXPECT_TRUE(path_exists(tmp.file(str_cat("last.ckpt.tmp.", ::getpid()))));
  EXPECT_TRUE(path_exists(tmp.file("notes.tmp.txt")));
  EXPECT_EQ(read_file(tmp.file("last.ckpt")), "good");
}

TEST(Fs, AnAtomicWriteThatRunsOutOfSpaceLeavesTheOldFileAndNoTemporary) {
  testing::TempDir tmp;
  const std::string path = tmp.file("last.ckpt");
  write_file_atomic(path, "the good checkpoint");
  const int code = with_file_size_limit(1000, [&] {
    try {
      write_file_atomic(path, std::string(5000, 'x'));
    } catch (const RuntimeError& e) {
      return std::string(e.what()).find("cannot write " + temporary_path_for(path)) == 0 ? 0 : 2;
    }
    return 1;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(read_file(path), "the good checkpoint");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
    files += !entry.is_directory();
  EXPECT_EQ(files, 1);  // no .tmp left
}

TEST(Fs, AnAppendThatRunsOutOfSpaceLeavesWholeLines) {
  testing::TempDir tmp;
  const std::string path = tmp.file("metrics.csv");
  append_file_durable(path, "epoch,loss\n0,1.5\n");
  const int code = with_file_size_limit(30, [&] {
    try {
      append_file_durable(path, "1,1.25\n");                  // fits: 24 bytes
      append_file_durable(path, "2,1.125000000000000000\n");  // runs past 30 bytes
    } catch (const RuntimeError& e) {
      return std::string(e.what()).find("cannot write " + path) == 0 ? 0 : 2;
    }
    return 1;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(read_file(path), "epoch,loss\n0,1.5\n1,1.25\n");
}

}  // namespace
}  // namespace imagenet
