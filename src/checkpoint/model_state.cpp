// Implements checkpoint/model_state.h.
#include "imagenet/checkpoint/model_state.h"

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {

std::map<std::string, at::Tensor> model_state(const torch::nn::Module& model) {
  std::map<std::string, at::Tensor> state;
  for (auto& item : model.named_parameters()) state[item.key()] = item.value();
  for (auto& item : model.named_buffers()) state[item.key()] = item.value();
  return state;
}

void load_model_state(torch::nn::Module& model, const std::map<std::string, at::Tensor>& state,
                      const std::string& origin) {
  at::NoGradGuard no_grad;
  for (auto& [name, tensor] : model_state(model)) {
    auto it = state.find(name);
    if (it == state.end())
      throw UsageError(str_cat(origin, " has no tensor '", name, "' for this model."));
    if (it->second.sizes() != tensor.sizes())
      throw UsageError(str_cat(origin, ": '", name, "' has shape ", it->second.sizes(),
                               ", the model expects ", tensor.sizes(), "."));
    tensor.copy_(it->second);  // keeps the device and memory format of the model
  }
}

}  // namespace imagenet
