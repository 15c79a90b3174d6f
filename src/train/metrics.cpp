// Implements train/metrics.h.
#include "imagenet/train/metrics.h"

#include <cmath>

namespace imagenet {

at::Tensor topk_correct(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t k = std::min<int64_t>(5, logits.size(1));
  at::Tensor top = std::get<1>(logits.topk(k, 1));  // [N, k]
  at::Tensor hits = top.eq(labels.view({-1, 1}));
  at::Tensor top1 = hits.narrow(1, 0, 1).sum();
  at::Tensor top5 = hits.sum();
  return at::stack({top1, top5}).to(at::kLong);
}

MetricSums::MetricSums(c10::Device device)
    : loss_sum(at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(device))),
      correct(at::zeros({2}, at::TensorOptions().dtype(at::kLong).device(device))) {}

void MetricSums::add_loss(const at::Tensor& mean_loss, int64_t samples) {
  loss_sum.add_(mean_loss.detach().to(at::kDouble) * static_cast<double>(samples));
  loss_samples += samples;
}

void MetricSums::add_accuracy(const at::Tensor& logits, const at::Tensor& labels) {
  correct.add_(topk_correct(logits.detach(), labels));
  accuracy_samples += labels.size(0);
}

double MetricSums::mean_loss() const {
  return loss_samples ? loss_sum.item<double>() / loss_samples : NAN;
}

double MetricSums::acc1() const {
  return accuracy_samples ? static_cast<double>(correct[0].item<int64_t>()) / accuracy_samples
                          : NAN;
}

double MetricSums::acc5() const {
  return accuracy_samples ? static_cast<double>(correct[1].item<int64_t>()) / accuracy_samples
                          : NAN;
}

}  // namespace imagenet
