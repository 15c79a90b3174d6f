// Uploading a run's TensorBoard event files to Weights & Biases with the `wandb` command-line
// tool, which imports such folders (`wandb sync DIR --sync-tensorboard`). A C++ program cannot
// use W&B's Python client, so the binary runs `wandb` as a child process: once at the end, or
// also every few minutes while training (`--append` after the first upload). A missing or
// failing `wandb` is reported, never fatal: training does not depend on it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace imagenet {

struct WandbSyncOptions {
  std::string tensorboard_dir;  ///< the run's event files
  std::string project;          ///< W&B project ("" lets wandb choose)
  std::string run_name;         ///< becomes the run id (wandb_run_id)
  std::string entity;           ///< "" for the user's default
  std::string log_path;         ///< the child's stdout and stderr are appended here ("" drops them)
};

/// The W&B run id for a run name: the characters W&B refuses in ids (/ \ # ? % : and
/// whitespace) become '-'; "" stays "" (wandb then makes one up).
std::string wandb_run_id(const std::string& name);

/// The argv that uploads the event files: wandb sync DIR --sync-tensorboard [-p P] [-e E]
/// [--id ID] [--append].
std::vector<std::string> wandb_sync_command(const WandbSyncOptions& options, bool append);

/// `argv` as one line a shell runs as it is (arguments quoted where needed), for the log.
std::string shell_command_line(const std::vector<std::string>& argv);

/// The path of `name` on $PATH (executable), or "".
std::string find_executable(const std::string& name);

/// A line for the log; `warning` when something did not work (nothing ever throws).
struct WandbNote {
  std::string text;
  bool warning = false;
};
using WandbNotes = std::vector<WandbNote>;

/// Runs wandb_sync_command in the background when asked. Not thread-safe; one per run, on
/// rank 0.
class WandbSyncer {
 public:
  /// `executable`: a name looked up on PATH, or a path. An upload still running when the
  /// syncer goes away is left to finish on its own (it has its own process group).
  explicit WandbSyncer(WandbSyncOptions options, std::string executable = "wandb");

  /// True when the executable was found on PATH (or is a path that exists).
  bool available() const { return !path_.empty(); }
  /// The command line the next upload runs (for the log: the user can run it by hand).
  std::string command_line() const;

  /// Starts an upload unless one is still running (then it only reaps a finished one): what
  /// was started, or why it could not be.
  WandbNotes start();
  /// Reaps a finished upload without waiting: how it ended, if it did.
  WandbNotes poll();
  /// Waits up to `timeout_seconds` for a running upload, then starts a last one and waits for
  /// it as long: how they ended, or that one goes on in the background.
  WandbNotes finish(double timeout_seconds);

 private:
  WandbNotes wait_for(double timeout_seconds);
  WandbNote ended(int status);

  WandbSyncOptions options_;
  std::string executable_;
  std::string path_;
  pid_t child_ = -1;
  int synced_ = 0;  ///< uploads that succeeded: the first creates the W&B run, later ones append
};

}  // namespace imagenet
