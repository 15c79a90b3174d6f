// A model's weights by name, in and out of checkpoints: its parameters and buffers under
// torchvision's names (what a checkpoint's state_dict holds), and loading them back with every
// name and shape checked.
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <string>

namespace imagenet {

/// The parameters and buffers of `model` by name; the tensors themselves (not copies).
std::map<std::string, at::Tensor> model_state(const torch::nn::Module& model);

/// Copies `state` into `model`'s tensors, keeping their device and memory format. Throws
/// UsageError naming `origin` (the file) and the first tensor that is missing or has another
/// shape.
void load_model_state(torch::nn::Module& model, const std::map<std::string, at::Tensor>& state,
                      const std::string& origin);

}  // namespace imagenet
