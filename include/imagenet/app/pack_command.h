// `imagenet_train pack --src DIR --dst DIR [--shard_size 256MB]`: writes an ImageFolder dataset as
// WebDataset-style tar shards (data_format: shards reads them).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_pack_command(SubcommandContext& context);

}  // namespace imagenet
