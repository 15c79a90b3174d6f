// `imagenet_train prepare fashion-mnist|imagenet-like|synthetic --out DIR`: writes ImageFolder
// datasets (the demo's, benchmark JPEGs, a small toy set for tests).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_prepare_command(SubcommandContext& context);

}  // namespace imagenet
