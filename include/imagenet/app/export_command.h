// `imagenet_train export --checkpoint P --out model.safetensors`: the checkpoint's weights under
// torchvision's names (torchvision.models.resnet50(num_classes=N).load_state_dict(...,
// strict=True) takes them), with its architecture, class names and validation preprocessing
// in the file's metadata (JSON strings, as the safetensors format keeps metadata). Exit codes:
// 0, 2 for a file that is not a checkpoint (nothing is written then).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_export_command(SubcommandContext& context);

}  // namespace imagenet
