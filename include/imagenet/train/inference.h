// A trained model for the commands that only run it (validate, predict, export): built as
// training builds it (architecture, device, channels_last) in eval mode, with its weights from
// a run's checkpoint or from a weights file (--weights), and the forward pass on images that
// are already cropped (predict's batches).
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/model/resnet.h"

namespace imagenet {

/// A ResNet of `arch` with `num_classes` outputs on `device`, in eval mode; channels_last
/// strides when `channels_last` (as TrainStep lays the model out).
ResNet make_eval_model(const std::string& arch, int64_t num_classes, c10::Device device,
                       bool channels_last);

/// Loads the weights of `path` (safetensors, torch.save state dict or .ckpt, told by content)
/// into `model` and logs what was loaded. A classifier of another size keeps the model's
/// initialization (fine-tuning) and the log says so; `allow_new_classifier` false makes that a
/// UsageError instead (evaluating a classifier that was never trained means nothing). Other
/// mismatches: UsageError naming the first one.
void load_weights_into(ResNet& model, const std::string& path, bool allow_new_classifier);

/// Logits [N, classes] (float32, CPU) of `count` images already cropped to size x size, packed
/// RGB uint8 NHWC at `pixels`, normalized as the loader's batches are; autocast as `precision`.
at::Tensor eval_logits(ResNet& model, const uint8_t* pixels, int count, int size,
                       c10::Device device, bool channels_last, Precision precision);

}  // namespace imagenet
