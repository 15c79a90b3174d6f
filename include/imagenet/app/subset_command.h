// `imagenet_train subset --src DIR --dst DIR --num_classes N`: copies a class subset (train/ and
// val/) to another folder, e.g. from an S3 mount to local disk; parallel, resumable.
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_subset_command(SubcommandContext& context);

}  // namespace imagenet
