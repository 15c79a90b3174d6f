// Implements checkpoint/weights_file.h: the first bytes choose the reader.
#include "imagenet/checkpoint/weights_file.h"

#include <fstream>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/pickle_reader.h"
#include "imagenet/checkpoint/safetensors.h"
#include "imagenet/checkpoint/torch_save_file.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {
namespace {

std::string first_bytes(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

int64_t parse_count(const std::string& text, const std::string& path) {
  try {
    size_t used = 0;
    const long long n = std::stoll(text, &used);
    if (used == text.size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  throw UsageError(str_cat(path, ": metadata num_classes is '", text, "', not a positive integer"));
}

}  // namespace

WeightsFile read_weights_file(const std::string& path) {
  if (!path_exists(path)) throw UsageError(str_cat("weights file not found: ", path));
  if (is_directory(path)) throw UsageError(str_cat(path, " is a folder, not a weights file"));
  WeightsFile w;
  w.path = path;
  const std::string head = first_bytes(path, 64);
  if (looks_like_safetensors(head)) {
    SafetensorsContents contents = load_safetensors(path);
    w.format = "safetensors";
    w.tensors = std::move(contents.tensors);
    w.metadata = std::move(contents.metadata);
    if (auto it = w.metadata.find("arch"); it != w.metadata.end()) w.arch = it->second;
    if (auto it = w.metadata.find("num_classes"); it != w.metadata.end())
      w.num_classes = parse_count(it->second, path);
    return w;
  }
  if (is_legacy_torch_save(head))
    throw UsageError(str_cat(path,
                             ": written in torch.save's format of PyTorch before 1.6; save "
                             "it again with torch.save(torch.load(f), f2) in a newer PyTorch"));
  if (head.size() < 4 || head.compare(0, 4, "PK\x03\x04") != 0)
    throw UsageError(str_cat(path,
                             ": neither a safetensors file nor a torch.save archive "
                             "(nor an imagenet_train checkpoint)"));

  TorchSaveStateDict saved = read_torch_save_state_dict(path);
  for (const auto& [key, value] : saved.strings) {
    if (key == "format" && value == "imagenet_train") {
      // Our own checkpoint: its reader checks the format version and knows the model.
      CheckpointData checkpoint = load_checkpoint(path);
      w.format = "imagenet_train checkpoint";
      w.tensors.assign(checkpoint.state_dict.begin(), checkpoint.state_dict.end());
      w.arch = checkpoint.arch;
      w.num_classes = checkpoint.num_classes;
      w.classes = checkpoint.classes;
      return w;
    }
  }
  w.format = "torch.save";
  w.tensors = std::move(saved.tensors);
  return w;
}

}  // namespace imagenet
