// `imagenet_train validate --config C --checkpoint P` (or --weights F): evaluates a model on the
// config's val split with its validation transform (val_img_size, val_crop_ratio, overridable
// as any key), prints val/loss, val/acc1 and val/acc5 and writes them with --json FILE, and
// per-class accuracy with --per_class FILE. Launched as training is (devices, num_nodes,
// torchrun), every rank evaluates its share and the sums are exact over all of them. Without
// --config a checkpoint's own config is used. Exit codes: 0, 2 for usage errors (a checkpoint
// of other classes or architecture, a file that is not weights), 1 otherwise.
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_validate_command(SubcommandContext& context);

}  // namespace imagenet
