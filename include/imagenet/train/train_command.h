// Entry point of `imagenet_train [train]`, declared without torch so the command line can
// call it from a torch-free translation unit.
#pragma once

#include <string>
#include <vector>

#include "imagenet/config/config_loader.h"

namespace imagenet {

struct TrainCommand {
  ConfigSources sources;
  /// Checkpoint to resume from; empty for a fresh run.
  std::string resume_path;
  /// True when the command line chose the output folder (otherwise a resumed run writes next
  /// to the checkpoint it resumes from).
  bool output_dir_given = false;
  bool verbose = false;
  /// List the data folders again instead of using the index cache.
  bool rescan = false;
  /// The command line as given (argv[0] included): `--devices N` runs it once per worker.
  std::vector<std::string> argv;
};

/// Trains; returns the process exit code. Throws UsageError / RuntimeError.
int run_train_command(const TrainCommand& command);

}  // namespace imagenet
