// `imagenet_train predict --checkpoint P [--topk K] --output preds.csv IMAGE|DIR...`: the k most
// probable classes (the checkpoint's class names) and their softmax probabilities for each
// image, through the validation transform of the checkpoint's config (val_img_size,
// val_crop_ratio; --set overrides them), in batches, on the config's accelerator. An image
// that cannot be read or decoded gets a row with its error, not a failed command. Exit codes:
// 0 (also with unreadable images), 2 for usage errors (no images, a bad checkpoint).
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_predict_command(SubcommandContext& context);

}  // namespace imagenet
