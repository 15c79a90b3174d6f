// State dicts from Python's torch.save (the zip format of PyTorch 1.6 and later):
// torch.save(model.state_dict(), "x.pth") writes an OrderedDict, which LibTorch's
// torch::pickle_load cannot read; pickle_reader.h takes the pickle apart and this builds the
// tensors from the archive's storages.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace imagenet {

struct TorchSaveStateDict {
  std::vector<std::pair<std::string, at::Tensor>> tensors;  ///< CPU, contiguous, file order
  /// Where the tensors were: "" (the saved object is the state dict), "state_dict" (a
  /// Lightning checkpoint) or "model" (torchvision's reference training scripts).
  std::string key;
  /// The saved object's top-level string entries that are not tensors, such as an
  /// imagenet_train checkpoint's "format".
  std::vector<std::pair<std::string, std::string>> strings;
};

/// Reads the state dict of a torch.save file: the saved object is a dict of tensors, or a dict
/// holding one under "state_dict" or "model"; other entries are ignored. nn.Parameter values
/// count as their tensors. Throws UsageError naming the file and what is wrong (not a zip,
/// the pre-1.6 format, no dict of tensors, a storage the archive lacks or too short for its
/// views, a big-endian file).
TorchSaveStateDict read_torch_save_state_dict(const std::string& path);

}  // namespace imagenet
