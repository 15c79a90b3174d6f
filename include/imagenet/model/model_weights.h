// Weights from a file into a ResNet (--weights): names matched with torchvision's once a
// wrapper's prefix is taken off (Lightning's "model.", DDP's "module.", torch.compile's
// "_orig_mod."), shapes checked, and a classifier of another number of classes left as the
// model initialized it, which is fine-tuning. The reverse, the model's tensors by name, is what
// export and checkpoints write.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "imagenet/model/resnet.h"

namespace imagenet {

using NamedWeights = std::vector<std::pair<std::string, torch::Tensor>>;

struct WeightsFit {
  int64_t loaded = 0;  ///< tensors copied into the model
  std::string prefix;  ///< taken off the file's names ("" for none)
  /// The file's classifier has file_classes outputs, the model another number: fc.weight and
  /// fc.bias kept the model's initialization.
  bool classifier_reinitialized = false;
  int64_t file_classes = 0;
  /// File entries outside `prefix` (a Lightning module's other members), not loaded.
  std::vector<std::string> ignored;
  /// One line for the log: what was loaded, and what was not and why.
  std::string summary(const std::string& source) const;
};

/// Copies `weights` (any device and floating dtype) into `model` by name, without gradients,
/// onto each parameter's device and dtype. Every parameter and buffer of the model must be in
/// the file with its shape and every file entry under the prefix must be one of the model's,
/// except the classifier of another size (see WeightsFit). Throws UsageError naming `source`
/// and the first name or shape that does not fit, and the architecture the file holds when it
/// can tell; the model is left unchanged then.
WeightsFit load_model_weights(ResNetImpl& model, const NamedWeights& weights,
                              const std::string& source);

/// The model's parameters and buffers by torchvision name (live tensors, not copies).
NamedWeights model_weights(const torch::nn::Module& model);

/// The ResNet whose layout `weights` (names after any prefix) have: "resnet18", ..., or "".
std::string guess_resnet_arch(const NamedWeights& weights, const std::string& prefix = "");

}  // namespace imagenet
