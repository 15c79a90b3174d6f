// Implements train/evaluation.h.
#include "imagenet/train/evaluation.h"

#include "imagenet/logging/progress.h"
#include "imagenet/train/amp.h"

namespace imagenet {

MetricSums evaluate(ResNet& model, BatchLoader& loader, BatchTransfer& transfer,
                    ProcessGroup& group, const EvaluationOptions& options, ClassCounts* per_class) {
  model->eval();
  at::NoGradGuard no_grad;
  loader.start_epoch(0);
  const c10::Device device = transfer.device();
  MetricSums sums(device);
  ProgressBar bar("Validation", loader.num_batches(), 0, options.log_every_n_steps);
  int64_t done = 0;
  while (std::shared_ptr<const Batch> batch = loader.next()) {
    const int64_t n = batch->size;
    DeviceBatch input = transfer.to_device(std::move(batch), loader);
    at::Tensor logits;
    {
      AutocastGuard autocast(device.type(), options.precision);
      logits = model->forward(input.images);
    }
    sums.add_loss(at::cross_entropy_loss(logits.to(at::kFloat), input.labels), n);
    sums.add_accuracy(logits, input.labels);
    if (per_class != nullptr) per_class->add(logits, input.labels);
    bar.update(++done, nullptr);
  }
  bar.finish("");
  sums.sum_over_ranks(group);  // each rank evaluated its share of the images
  if (per_class != nullptr) per_class->sum_over_ranks(group);
  return sums;
}

}  // namespace imagenet
