// `imagenet_train bench-ddp --devices 2`: the data-parallel step on synthetic input, with the
// gradient all-reduce overlapped with backward or after it, gradients as bucket views or
// copies, next to the step without any all-reduce and the all-reduce alone (bench/ddp_overlap.sh).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_bench_ddp_command(SubcommandContext& context);

}  // namespace imagenet
