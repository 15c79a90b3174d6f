// SyncBatchNorm: in training, a BatchNorm layer normalized with the mean and variance of the
// global batch (every rank's images), forward and backward, as torch.nn.SyncBatchNorm does.
// On CUDA it is PyTorch's own algorithm on ATen's kernels (batch_norm_stats, an all-gather,
// batch_norm_gather_stats_with_counts, batch_norm_elemt; in backward batch_norm_backward_reduce,
// an all-reduce, batch_norm_backward_elemt). Those kernels do not exist for the CPU, where the
// same algorithm in plain ATen ops does the job (it is what the tests and CI run).
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>

#include "imagenet/distributed/process_group.h"

namespace imagenet {

/// The output of `layer` for `input` [N, C, H, W]. Training mode: statistics over all ranks of
/// `group`; running_mean and running_var are updated with them (unbiased variance, the layer's
/// momentum, or a cumulative average when momentum is unset) and num_batches_tracked counts
/// the step, as in PyTorch. Eval mode: the layer's own forward, with its running statistics.
/// Every rank must call it for the same layers in the same order.
at::Tensor sync_batch_norm(torch::nn::BatchNorm2dImpl& layer, const at::Tensor& input,
                           ProcessGroup& group);

/// The version in plain ATen ops, for any device; sync_batch_norm uses it on the CPU.
at::Tensor sync_batch_norm_composite(torch::nn::BatchNorm2dImpl& layer, const at::Tensor& input,
                                     ProcessGroup& group);

/// Averages the running statistics of BatchNorm layers over the ranks, in place (without
/// sync_batchnorm every rank's statistics drift apart; validation and checkpoints use the
/// average).
void average_running_stats(const std::vector<torch::nn::BatchNorm2dImpl*>& layers,
                           ProcessGroup& group);

}  // namespace imagenet
