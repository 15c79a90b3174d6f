// `imagenet_train lrfind` (and `imagenet_lrfind`, the same binary): sweeps the LR on the run's
// model and data, writes <output_dir>/lr_find.{csv,png}, prints the suggestion and, with
// --update_config, writes it into the config file. Launched as training is (devices,
// num_nodes, torchrun, SLURM), the sweep is data-parallel: every rank steps on its share of
// the total batch and records the loss averaged over the ranks; rank 0 writes the outputs and
// gives the verdict. Exit codes: 0 with a suggestion; 1 when the sweep stopped early or left
// too few points (the config is then untouched); 128 + signal when stopped by one (on every
// rank); the other ranks 0 when their sweep ran to its end; 2 for usage errors.
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_lrfind_command(SubcommandContext& context);

}  // namespace imagenet
