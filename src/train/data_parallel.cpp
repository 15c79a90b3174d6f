// Implements train/data_parallel.h.
#include "imagenet/train/data_parallel.h"

#include <algorithm>
#include <vector>

#include "imagenet/distributed/sync_batch_norm.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {

DataParallel::DataParallel(TrainStep& step, std::shared_ptr<ProcessGroup> group,
                           const DistConfig& config)
    : step_(step), group_(std::move(group)), config_(config) {
  if (!group_->distributed()) return;
  ResNet& model = step_.model();
  // SyncBatchNorm: the same layers (so the same parameter names), statistics over all ranks.
  if (config_.sync_batchnorm) {
    std::shared_ptr<ProcessGroup> shared = group_;
    model->set_batch_norm_fn([shared](torch::nn::BatchNorm2dImpl& layer, const at::Tensor& x) {
      return sync_batch_norm(layer, x, *shared);
    });
  }
  // Every rank starts from rank 0's weights.
  broadcast_state();
  // Gradient buckets, all-reduced from hooks while backward runs.
  GradientReducerOptions options;
  options.bucket_mb = config_.dist_bucket_mb;
  std::vector<at::Tensor> params;
  for (const auto& p : model->parameters())
    if (p.requires_grad()) params.push_back(p);
  reducer_ = std::make_unique<GradientReducer>(group_, params, options);
  step_.set_after_backward([this] { reducer_->finish_backward(); });
  step_.set_gradient_sync([this](bool sync) { reducer_->set_sync(sync); });
  log_info(str_cat("data-parallel: ", reducer_->describe(), "; sync_batchnorm ",
                   config_.sync_batchnorm ? "on"
                                          : "off (running statistics averaged across "
                                            "ranks before validation and checkpoints)"));
}

void DataParallel::broadcast_state() {
  // Parameters, buffers and the optimizer's state, in the same order on every rank (names sort
  // the map).
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& p : step_.model()->parameters()) tensors.push_back(p);
  for (const auto& b : step_.model()->buffers()) tensors.push_back(b);
  for (const auto& [name, state] : step_.optimizer().state()) tensors.push_back(state);
  group_->broadcast(tensors, /*root=*/0);
}

bool DataParallel::local_stats() const {
  return group_->size() > 1 && !config_.sync_batchnorm;
}

void DataParallel::average_running_stats() {
  if (local_stats()) imagenet::average_running_stats(step_.model()->batch_norm_layers(), *group_);
}

void DataParallel::with_averaged_running_stats(const std::function<void()>& write) {
  if (!local_stats()) {
    write();
    return;
  }
  std::vector<at::Tensor> own;
  for (auto* layer : step_.model()->batch_norm_layers()) {
    own.push_back(layer->running_mean.clone());
    own.push_back(layer->running_var.clone());
  }
  average_running_stats();
  write();
  at::NoGradGuard no_grad;
  size_t i = 0;
  for (auto* layer : step_.model()->batch_norm_layers()) {
    layer->running_mean.copy_(own[i++]);
    layer->running_var.copy_(own[i++]);
  }
}

std::string DataParallel::take_reduction_summary(int64_t optimizer_steps) {
  if (!reducer_) return "";
  const ReducerCounts now = reducer_->counts();
  const int64_t all_reduces = now.all_reduces - reported_.all_reduces;
  // Every parameter's gradient comes in once per backward (ResNet uses all of them).
  int64_t params = 0;
  for (const auto& bucket : reducer_->bucket_params())
    params += static_cast<int64_t>(bucket.size());
  const int64_t local =
      (now.local_gradients - reported_.local_gradients) / std::max<int64_t>(1, params);
  reported_ = now;
  return str_cat(all_reduces, " gradient all-reduces (", reducer_->bucket_params().size(),
                 " buckets each) for ", optimizer_steps, " optimizer steps; ", local,
                 " micro-batch backwards without one");
}

}  // namespace imagenet
