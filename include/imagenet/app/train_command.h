// `imagenet_train [train] --config X [flags]`: trains a model (the default subcommand).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_train_command(SubcommandContext& context);

}  // namespace imagenet
