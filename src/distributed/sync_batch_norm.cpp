// Implements distributed/sync_batch_norm.h: two autograd functions with the same structure,
// a port of torch/nn/modules/_functions.py (SyncBatchNorm). Forward all-gathers per-rank
// statistics and combines them; backward all-reduces two per-channel sums.
#include "imagenet/distributed/sync_batch_norm.h"

#include <torch/autograd.h>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// The group travels through autograd as an integer: saved_data holds IValues only. The group
/// outlives every graph built while training (the trainer owns both).
/// Statistics in float32 even under bf16 autocast, as the CUDA kernels compute them.
at::Tensor float_statistics(const at::Tensor& t) {
  const bool low = t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf;
  return low ? t.to(at::kFloat) : t;
}

int64_t address_of(ProcessGroup& group) {
  return reinterpret_cast<int64_t>(&group);
}

ProcessGroup& group_at(const AutogradContext* ctx) {
  return *reinterpret_cast<ProcessGroup*>(ctx->saved_data.at("group").toInt());
}

/// torch.nn.SyncBatchNorm's autograd function on ATen's CUDA kernels. Every rank's batch must
/// be non-empty (training drops the last partial batch).
struct SyncBatchNormKernels : public torch::autograd::Function<SyncBatchNormKernels> {
  static at::Tensor forward(AutogradContext* ctx, at::Tensor input, const at::Tensor& weight,
                            const at::Tensor& bias, const at::Tensor& running_mean,
                            const at::Tensor& running_var, double eps, double momentum,
                            int64_t group_address) {
    ProcessGroup& group = *reinterpret_cast<ProcessGroup*>(group_address);
    if (!input.is_contiguous(at::MemoryFormat::ChannelsLast)) input = input.contiguous();
    const int64_t channels = input.size(1);
    auto [mean, invstd] = at::batch_norm_stats(input, eps);  // [C] each, float
    at::Tensor count = at::full({1}, static_cast<double>(input.numel() / channels), mean.options());
    at::Tensor rows = at::stack(group.all_gather(at::cat({mean, invstd, count})));  // [W, 2C+1]
    at::Tensor mean_all = rows.narrow(1, 0, channels);
    at::Tensor invstd_all = rows.narrow(1, channels, channels);
    at::Tensor count_all = rows.narrow(1, 2 * channels, 1);
    auto [global_mean, global_invstd] = at::batch_norm_gather_stats_with_counts(
        input, mean_all, invstd_all, running_mean, running_var, momentum, eps,
        count_all.reshape({-1}).to(running_mean.scalar_type()));
    ctx->save_for_backward(
        {input, weight, global_mean, global_invstd, count_all.reshape({-1}).to(at::kInt)});
    ctx->saved_data["group"] = group_address;
    return at::batch_norm_elemt(input, weight, bias, global_mean, global_invstd, eps);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list saved = ctx->get_saved_variables();
    const at::Tensor& input = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor& mean = saved[2];
    const at::Tensor& invstd = saved[3];
    const at::Tensor& count = saved[4];
    at::Tensor grad_out = grads[0].contiguous(input.suggest_memory_format());
    auto [sum_dy, sum_dy_xmu, grad_weight, grad_bias] =
        at::batch_norm_backward_reduce(grad_out, input, mean, invstd, weight, true, true, true);
    // The sums over the global batch; the weight and bias gradients go through the ordinary
    // gradient all-reduce.
    const int64_t channels = sum_dy.size(0);
    at::Tensor combined = at::cat({sum_dy, sum_dy_xmu});
    group_at(ctx).all_reduce_sum({combined});
    at::Tensor grad_input = at::batch_norm_backward_elemt(
        grad_out, input, mean, invstd, weight, combined.narrow(0, 0, channels),
        combined.narrow(0, channels, channels), count);
    return {grad_input,   grad_weight,  grad_bias,    at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

/// The same function in plain ATen ops (any device, the CPU included). Forward: each rank's
/// mean and sum of squared deviations per channel are all-gathered and combined (Chan et
/// al.), which stays accurate when the mean is large against the spread. Backward: the sums
/// of dy and dy (x - mean) are all-reduced and the input gradient is BatchNorm's closed form,
/// as batch_norm_backward_elemt computes it (differentiating through the statistics op by op
/// would lose precision to cancellation).
struct SyncBatchNormComposite : public torch::autograd::Function<SyncBatchNormComposite> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                            const at::Tensor& bias, const at::Tensor& running_mean,
                            const at::Tensor& running_var, double eps, double momentum,
                            int64_t group_address) {
    ProcessGroup& group = *reinterpret_cast<ProcessGroup*>(group_address);
    const int64_t channels = input.size(1);
    const at::Tensor x = float_statistics(input);
    auto [local_var, local_mean] = at::var_mean(x, at::IntArrayRef{0, 2, 3}, /*unbiased=*/false);
    const double local_count = static_cast<double>(x.numel() / channels);
    at::Tensor row = at::cat(
        {local_mean, local_var * local_count, at::full({1}, local_count, local_mean.options())});
    at::Tensor rows = at::stack(group.all_gather(row));  // [W, 2C+1]
    at::Tensor means = rows.narrow(1, 0, channels);
    at::Tensor m2 = rows.narrow(1, channels, channels);
    at::Tensor counts = rows.narrow(1, 2 * channels, 1);  // [W, 1]
    const double total = counts.sum().item<double>();

    // mean = sum n_i m_i / N; M2 = sum M2_i + sum n_i (m_i - mean)^2; var = M2 / N.
    at::Tensor mean = (means * counts).sum(0) / total;
    at::Tensor var = (m2.sum(0) + (counts * (means - mean).pow(2)).sum(0)) / total;
    at::Tensor invstd = at::rsqrt(var + eps);
    if (running_mean.defined()) {
      running_mean.mul_(1 - momentum).add_(mean, momentum);
      running_var.mul_(1 - momentum).add_(var * (total / std::max(total - 1, 1.0)), momentum);
    }
    at::Tensor scale = weight.defined() ? invstd * weight : invstd;
    at::Tensor shift = bias.defined() ? bias - mean * scale : -mean * scale;
    at::Tensor y = x * scale.view({1, channels, 1, 1}) + shift.view({1, channels, 1, 1});

    ctx->save_for_backward({input, weight, mean, invstd});
    ctx->saved_data["count"] = total;
    ctx->saved_data["has_bias"] = bias.defined();
    ctx->saved_data["group"] = group_address;
    return y.to(input.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list saved = ctx->get_saved_variables();
    const at::Tensor x = float_statistics(saved[0]);
    const at::Tensor& weight = saved[1];
    const at::Tensor& mean = saved[2];
    const at::Tensor& invstd = saved[3];
    const double total = ctx->saved_data.at("count").toDouble();
    const int64_t channels = x.size(1);
    auto per_channel = [&](const at::Tensor& t) { return t.view({1, channels, 1, 1}); };
    const at::Tensor dy = float_statistics(grads[0]);

    at::Tensor xmu = x - per_channel(mean);
    at::Tensor sum_dy = dy.sum({0, 2, 3});
    at::Tensor sum_dy_xmu = (dy * xmu).sum({0, 2, 3});
    // This rank's share; the gradient all-reduce adds the others'.
    at::Tensor grad_weight = weight.defined() ? sum_dy_xmu * invstd : at::Tensor();
    at::Tensor grad_bias = ctx->saved_data.at("has_bias").toBool() ? sum_dy.clone() : at::Tensor();

    at::Tensor combined = at::cat({sum_dy, sum_dy_xmu});
    group_at(ctx).all_reduce_sum({combined});
    at::Tensor mean_dy = combined.narrow(0, 0, channels) / total;
    at::Tensor mean_dy_xmu = combined.narrow(0, channels, channels) / total;
    at::Tensor scale = weight.defined() ? invstd * weight : invstd;
    at::Tensor grad_input =
        (dy - per_channel(mean_dy) - xmu * per_channel(invstd * invstd * mean_dy_xmu)) *
        per_channel(scale);
    return {grad_input.to(saved[0].scalar_type()),
            grad_weight,
            grad_bias,
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor()};
  }
};

/// PyTorch's exponential_average_factor: the momentum, or 1 / batches seen without one.
double average_factor(torch::nn::BatchNorm2dImpl& layer) {
  const auto& momentum = layer.options.momentum();
  if (momentum.has_value()) return momentum.value();
  return 1.0 / static_cast<double>(layer.num_batches_tracked.item<int64_t>());
}

}  // namespace

at::Tensor sync_batch_norm_composite(torch::nn::BatchNorm2dImpl& layer, const at::Tensor& input,
                                     ProcessGroup& group) {
  return SyncBatchNormComposite::apply(input, layer.weight, layer.bias, layer.running_mean,
                                       layer.running_var, layer.options.eps(),
                                       average_factor(layer), address_of(group));
}

at::Tensor sync_batch_norm(torch::nn::BatchNorm2dImpl& layer, const at::Tensor& input,
                           ProcessGroup& group) {
  if (!layer.is_training()) return layer.forward(input);
  IMAGENET_CHECK(input.dim() == 4, "SyncBatchNorm expects [N, C, H, W], got ", input.sizes());
  if (layer.options.track_running_stats()) {
    at::NoGradGuard no_grad;
    layer.num_batches_tracked.add_(1);
  }
  if (!input.is_cuda() || !layer.options.affine() || !layer.options.track_running_stats())
    return sync_batch_norm_composite(layer, input, group);
  return SyncBatchNormKernels::apply(input, layer.weight, layer.bias, layer.running_mean,
                                     layer.running_var, layer.options.eps(), average_factor(layer),
                                     address_of(group));
}

void average_running_stats(const std::vector<torch::nn::BatchNorm2dImpl*>& layers,
                           ProcessGroup& group) {
  if (layers.empty() || group.size() == 1) return;
  at::NoGradGuard no_grad;
  // One all-reduce for all layers: [sum of C_l] means, then variances.
  std::vector<at::Tensor> parts;
  for (auto* layer : layers) {
    if (!layer->options.track_running_stats()) continue;
    parts.push_back(layer->running_mean.reshape({-1}));
    parts.push_back(layer->running_var.reshape({-1}));
  }
  if (parts.empty()) return;
  at::Tensor flat = at::cat(parts).to(at::kDouble);
  group.all_reduce_sum({flat});
  flat.div_(static_cast<double>(group.size()));
  int64_t offset = 0;
  for (auto* layer : layers) {
    if (!layer->options.track_running_stats()) continue;
    for (at::Tensor* stat : {&layer->running_mean, &layer->running_var}) {
      const int64_t n = stat->numel();
      stat->copy_(flat.narrow(0, offset, n).view(stat->sizes()));
      offset += n;
    }
  }
}

}  // namespace imagenet
