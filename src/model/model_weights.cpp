// Implements model/model_weights.h.
#include "imagenet/model/model_weights.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::string shape_text(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + std::to_string(sizes[i]);
  return out + "]";
}

// The prefix under which most of the model's names appear in the file ("" when they appear as
// they are); ties go to the shorter prefix (Lightning's "model." before "model_ema.module.").
std::string choose_prefix(const NamedWeights& weights, const std::set<std::string>& names) {
  std::map<std::string, int64_t> hits;
  for (const auto& [key, tensor] : weights) {
    if (names.count(key)) ++hits[""];
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1))
      if (names.count(key.substr(dot + 1))) ++hits[key.substr(0, dot + 1)];
  }
  std::string best;
  int64_t best_hits = 0;
  for (const auto& [prefix, n] : hits)
    if (n > best_hits || (n == best_hits && prefix.size() < best.size())) {
      best = prefix;
      best_hits = n;
    }
  return best;
}

[[noreturn]] void mismatch(const std::string& source, const std::string& what,
                           const NamedWeights& weights, const std::string& prefix,
                           const std::string& arch) {
  const std::string holds = guess_resnet_arch(weights, prefix);
  std::string hint;
  if (!holds.empty() && holds != arch)
    hint = str_cat(" The file holds ", holds, " weights: set `model: ", holds, "` (--model ", holds,
                   ") to use them.");
  else if (holds.empty())
    hint = " The file does not hold a torchvision ResNet's weights.";
  throw UsageError(str_cat(source, ": does not fit ", arch, ": ", what, ".", hint));
}

}  // namespace

std::string WeightsFit::summary(const std::string& source) const {
  std::string line = str_cat("weights: ", loaded, " tensors from ", source);
  if (!prefix.empty()) line += str_cat(" (names under '", prefix, "')");
  if (classifier_reinitialized)
    line += str_cat("; the classifier (fc) is re-initialized for fine-tuning: the file's has ",
                    file_classes, " classes");
  if (!ignored.empty())
    line += str_cat("; ", ignored.size(), " other entries ignored (", ignored.front(),
                    ignored.size() > 1 ? ", ..." : "", ")");
  return line;
}

NamedWeights model_weights(const torch::nn::Module& model) {
  NamedWeights out;
  for (const auto& p : model.named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

WeightsFit load_model_weights(ResNetImpl& model, const NamedWeights& weights,
                              const std::string& source) {
  const std::string arch = model.options().arch;
  const NamedWeights targets = model_weights(model);
  std::set<std::string> names;
  for (const auto& [name, t] : targets) names.insert(name);

  WeightsFit fit;
  fit.prefix = choose_prefix(weights, names);
  std::map<std::string, torch::Tensor> found;  // model name -> file tensor
  for (const auto& [key, tensor] : weights) {
    if (!str_starts_with(key, fit.prefix)) {
      fit.ignored.push_back(key);
      continue;
    }
    const std::string name = key.substr(fit.prefix.size());
    if (!names.count(name))
      mismatch(source, str_cat("the file has '", key, "', ", arch, " has no such tensor"), weights,
               fit.prefix, arch);
    found[name] = tensor;
  }
  for (const auto& [name, target] : targets)
    if (!found.count(name))
      mismatch(source, str_cat(arch, " needs '", fit.prefix + name, "', the file lacks it"),
               weights, fit.prefix, arch);

  // Fine-tuning: the same features into another number of classes.
  const torch::Tensor& file_fc = found.at("fc.weight");
  const torch::Tensor model_fc = *model.named_parameters().find("fc.weight");
  if (file_fc.dim() == 2 && file_fc.size(1) == model_fc.size(1) &&
      file_fc.size(0) != model_fc.size(0) && found.at("fc.bias").dim() == 1 &&
      found.at("fc.bias").size(0) == file_fc.size(0)) {
    fit.classifier_reinitialized = true;
    fit.file_classes = file_fc.size(0);
  }
  for (const auto& [name, target] : targets) {
    const bool classifier = name == "fc.weight" || name == "fc.bias";
    if (classifier && fit.classifier_reinitialized) continue;
    const torch::Tensor& value = found.at(name);
    if (value.sizes() != target.sizes())
      mismatch(source,
               str_cat("'", fit.prefix + name, "' is ", shape_text(value.sizes()), " in the file, ",
                       shape_text(target.sizes()), " in ", arch),
               weights, fit.prefix, arch);
    if (value.is_floating_point() != target.is_floating_point())
      mismatch(source,
               str_cat("'", fit.prefix + name, "' is ", value.scalar_type(), " in the file, ",
                       target.scalar_type(), " in ", arch),
               weights, fit.prefix, arch);
  }

  // Everything fits: only now is the model changed.
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    const bool classifier = name == "fc.weight" || name == "fc.bias";
    if (classifier && fit.classifier_reinitialized) continue;
    torch::Tensor t = target;
    t.copy_(found.at(name));
    ++fit.loaded;
  }
  return fit;
}

std::string guess_resnet_arch(const NamedWeights& weights, const std::string& prefix) {
  int blocks[4] = {0, 0, 0, 0};
  bool bottleneck = false;
  for (const auto& [key, tensor] : weights) {
    if (!str_starts_with(key, prefix)) continue;
    const std::string name = key.substr(prefix.size());
    // layer<L>.<B>.conv<k>.weight
    if (name.size() < 8 || name.compare(0, 5, "layer") != 0 || name[5] < '1' || name[5] > '4' ||
        name[6] != '.')
      continue;
    const size_t dot = name.find('.', 7);
    if (dot == std::string::npos) continue;
    int block = 0;
    for (size_t i = 7; i < dot; ++i) {
      if (name[i] < '0' || name[i] > '9') return "";
      block = block * 10 + (name[i] - '0');
      if (block > 1000) return "";
    }
    blocks[name[5] - '1'] = std::max(blocks[name[5] - '1'], block + 1);
    if (name.compare(dot + 1, 5, "conv3") == 0) bottleneck = true;
  }
  struct Layout {
    const char* arch;
    bool bottleneck;
    int blocks[4];
  };
  static const Layout kLayouts[] = {{"resnet18", false, {2, 2, 2, 2}},
                                    {"resnet34", false, {3, 4, 6, 3}},
                                    {"resnet50", true, {3, 4, 6, 3}},
                                    {"resnet101", true, {3, 4, 23, 3}},
                                    {"resnet152", true, {3, 8, 36, 3}}};
  for (const Layout& l : kLayouts)
    if (l.bottleneck == bottleneck && std::equal(blocks, blocks + 4, l.blocks)) return l.arch;
  return "";
}

}  // namespace imagenet
