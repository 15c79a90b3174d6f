// Entry point of `imagenet_train lrfind` (and of `imagenet_lrfind`, the same binary), declared
// without torch so the command line can call it from a torch-free translation unit.
#pragma once

#include <string>
#include <vector>

#include "imagenet/config/config_loader.h"
#include "imagenet/lrfind/lr_suggestion.h"
#include "imagenet/lrfind/lr_sweep.h"

namespace imagenet {

struct LrFindCommand {
  ConfigSources sources;
  LrSweepOptions sweep;
  LrSuggestionOptions rule;
  /// Write the suggested per-256 `lr` into sources.file in place.
  bool update_config = false;
  bool verbose = false;
  /// List the data folders again instead of using the index cache.
  bool rescan = false;
  /// The command line as given (argv[0] included): `--devices N` runs it once per worker.
  std::vector<std::string> argv;
};

/// Sweeps the LR on the run's model and data, writes <output_dir>/lr_find.{csv,png}, prints
/// the suggestion and, when asked, writes it into the config file. Launched as training is
/// (devices, num_nodes, torchrun, SLURM), the sweep is data-parallel: every rank steps on its
/// share of the total batch and records the loss averaged over the ranks; rank 0 writes the
/// outputs and gives the verdict. Returns the exit code: 0 with a suggestion; 1 when the
/// sweep stopped early or left too few points (the config is then untouched); 128 + signal
/// when stopped by one (on every rank). The other ranks return 0 when their sweep ran to its
/// end, early or not. Throws UsageError / RuntimeError.
int run_lr_find_command(const LrFindCommand& command);

}  // namespace imagenet
