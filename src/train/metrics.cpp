// Implements train/metrics.h.
#include "imagenet/train/metrics.h"

#include <algorithm>
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

void MetricSums::sum_over_ranks(ProcessGroup& group, const std::vector<int64_t*>& extra) {
  if (!group.distributed()) return;
  std::vector<double> host{static_cast<double>(loss_samples),
                           static_cast<double>(accuracy_samples)};
  for (const int64_t* count : extra) host.push_back(static_cast<double>(*count));
  at::Tensor packed =
      at::cat({loss_sum.to(at::kDouble), correct.to(at::kDouble),
               at::tensor(host, at::TensorOptions().dtype(at::kDouble)).to(loss_sum.device())});
  group.all_reduce_sum({packed});
  packed = packed.cpu();
  auto value = [&](int64_t i) { return packed[i].item<double>(); };
  loss_sum.fill_(value(0));
  correct[0].fill_(static_cast<int64_t>(std::llround(value(1))));
  correct[1].fill_(static_cast<int64_t>(std::llround(value(2))));
  loss_samples = std::llround(value(3));
  accuracy_samples = std::llround(value(4));
  for (size_t i = 0; i < extra.size(); ++i) *extra[i] = std::llround(value(5 + i));
}

void MetricSums::store(TrainingProgress& progress) const {
  progress.loss_sum = loss_sum.item<double>();
  progress.loss_samples = loss_samples;
  progress.correct1 = correct[0].item<int64_t>();
  progress.correct5 = correct[1].item<int64_t>();
  progress.accuracy_samples = accuracy_samples;
}

void MetricSums::load(const TrainingProgress& progress) {
  loss_sum.fill_(progress.loss_sum);
  loss_samples = progress.loss_samples;
  correct[0].fill_(progress.correct1);
  correct[1].fill_(progress.correct5);
  accuracy_samples = progress.accuracy_samples;
}

ClassCounts::ClassCounts(int64_t classes, c10::Device device)
    : counts(at::zeros({classes, 3}, at::TensorOptions().dtype(at::kLong).device(device))) {}

void ClassCounts::add(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t k = std::min<int64_t>(5, logits.size(1));
  at::Tensor top = std::get<1>(logits.detach().topk(k, 1));  // [N, k]
  at::Tensor hits = top.eq(labels.view({-1, 1}));
  at::Tensor rows = at::stack(
      {at::ones_like(labels), hits.narrow(1, 0, 1).sum(1).to(at::kLong), hits.sum(1).to(at::kLong)},
      1);  // [N, 3]
  counts.index_add_(0, labels, rows);
}

void ClassCounts::sum_over_ranks(ProcessGroup& group) {
  if (!group.distributed()) return;
  // Counts below 2^53 are exact in float64, which every backend sums.
  at::Tensor packed = counts.to(at::kDouble);
  group.all_reduce_sum({packed});
  counts.copy_(packed.round().to(at::kLong));
}

}  // namespace imagenet
