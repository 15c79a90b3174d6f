// Implements train/inference.h.
#include "imagenet/train/inference.h"

#include <torch/torch.h>

#include "imagenet/checkpoint/weights_file.h"
#include "imagenet/model/model_weights.h"
#include "imagenet/train/amp.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/train_step.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {

ResNet make_eval_model(const std::string& arch, int64_t num_classes, c10::Device device,
                       bool channels_last) {
  ResNet model(ResNetOptions{arch, num_classes, false});
  model->to(device);
  if (channels_last) to_channels_last(*model);
  model->eval();
  return model;
}

void load_weights_into(ResNet& model, const std::string& path, bool allow_new_classifier) {
  const WeightsFile file = read_weights_file(path);
  NamedWeights weights(file.tensors.begin(), file.tensors.end());
  const std::string source = str_cat(path, " (", file.format, ")");
  const WeightsFit fit = load_model_weights(*model, weights, source);
  if (fit.classifier_reinitialized && !allow_new_classifier)
    throw UsageError(str_cat(source, ": its classifier has ", fit.file_classes,
                             " classes and the data has ", model->options().num_classes,
                             ": these weights were not trained on these classes."));
  log_info(fit.summary(source));
  model->eval();
}

at::Tensor eval_logits(ResNet& model, const uint8_t* pixels, int count, int size,
                       c10::Device device, bool channels_last, Precision precision) {
  std::vector<int64_t> labels(static_cast<size_t>(count), 0);
  Batch batch;
  batch.size = count;
  batch.height = size;
  batch.width = size;
  batch.images = const_cast<uint8_t*>(pixels);  // read only: to_device_batch copies
  batch.labels = labels.data();
  const DeviceBatch input = to_device_batch(batch, device, channels_last);
  at::NoGradGuard no_grad;
  AutocastGuard autocast(device.type(), precision);
  return model->forward(input.images).to(at::kFloat).cpu();
}

}  // namespace imagenet
