// `imagenet_train config`: prints the resolved config (or the key reference) without training.
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_config_command(SubcommandContext& context);

}  // namespace imagenet
