// Entry points of `imagenet_train bench-model` (the training step alone on synthetic input
// already on the device, the ceiling the full pipeline can reach) and `bench-ddp` (the same
// step in data-parallel runs). Declared without torch.
#pragma once

#include <string>
#include <vector>

#include "imagenet/config/config_loader.h"

namespace imagenet {

struct BenchModelCommand {
  ConfigSources sources;
  int warmup_steps = 10;
  int steps = 50;
  int num_classes = 1000;
};

/// Prints the step's throughput; returns the exit code.
int run_bench_model_command(const BenchModelCommand& command);

/// `imagenet_train bench-ddp --devices 2`: the data-parallel step on synthetic input, with the
/// gradient all-reduce overlapped with backward or after it, gradients as bucket views or
/// copies, next to the step without any all-reduce and the all-reduce alone.
struct BenchDdpCommand {
  ConfigSources sources;
  std::vector<std::string> argv;  ///< the command line, started once per worker
  int warmup_steps = 3;
  int steps = 10;
  int rounds = 3;  ///< every mode is timed once per round, the modes interleaved
  int num_classes = 1000;
};

int run_bench_ddp_command(const BenchDdpCommand& command);

}  // namespace imagenet
