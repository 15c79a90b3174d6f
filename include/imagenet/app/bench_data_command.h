// `imagenet_train bench-data`: the loader alone, as a run's config sets it up, for choosing
// num_workers, io_threads and prefetch_factor (and for bench/data_loader.sh): images/s overall,
// per decode thread and per CPU-second used.
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_bench_data_command(SubcommandContext& context);

}  // namespace imagenet
