// Model weights from any of the files a user brings to --weights: a safetensors file (ours from
// `imagenet_train export`, or another tool's), a torch.save state dict (.pth, as torchvision and
// Lightning write them), or an imagenet_train checkpoint (its weights only). The format is told
// by the content, not the file name.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace imagenet {

struct WeightsFile {
  std::string path;
  /// "safetensors", "torch.save" or "imagenet_train checkpoint".
  std::string format;
  /// Parameters and buffers by name as the file has them (CPU), in the file's order.
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  /// What the file says about the model, when it does ("" and 0 otherwise): a checkpoint's
  /// hyper-parameters, or safetensors metadata "arch" and "num_classes".
  std::string arch;
  int64_t num_classes = 0;
  std::vector<std::string> classes;             ///< a checkpoint's class names
  std::map<std::string, std::string> metadata;  ///< safetensors metadata
};

/// Reads the weights in `path`. Throws UsageError (exit code 2) naming the file and what is
/// wrong with it.
WeightsFile read_weights_file(const std::string& path);

}  // namespace imagenet
