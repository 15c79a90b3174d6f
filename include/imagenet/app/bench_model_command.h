// `imagenet_train bench-model`: the training step alone on a synthetic batch already on the
// device, the ceiling the full pipeline can reach (bench/gpu_throughput.sh).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_bench_model_command(SubcommandContext& context);

}  // namespace imagenet
