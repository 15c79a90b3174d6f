// Entry point of `imagenet_train bench-model`: the training step alone on synthetic input
// already on the device, the ceiling the full pipeline can reach. Declared without torch.
#pragma once

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

}  // namespace imagenet
