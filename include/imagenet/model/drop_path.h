// Stochastic depth (drop path) as timm applies it to ResNets (timm/layers/drop.py drop_path,
// timm/models/resnet.py make_blocks): in training, each residual branch is dropped per sample
// with its block's rate, and kept samples are scaled by 1 / keep so the expectation is
// unchanged; the rate grows linearly from 0 at the first block to drop_path_rate at the last.
// Masks are drawn from an injected Rng on the host, so a run's draws depend only on its seeds.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "imagenet/util/rng.h"

namespace imagenet {

/// timm's rule: block i of n (counted over the whole network) drops with rate * i / (n - 1).
std::vector<double> drop_path_rates(double drop_path_rate, int64_t num_blocks);

/// Per-sample keep masks for one batch: [num_blocks, batch] float32 on the CPU, each entry
/// 1 / (1 - rate) with probability 1 - rate, else 0 (1 everywhere for blocks with rate 0).
at::Tensor sample_drop_path_masks(const std::vector<double>& rates, int64_t batch, Rng& rng);

/// x * mask broadcast over all but the first dimension: x [N, ...], mask [N].
at::Tensor drop_path(const at::Tensor& x, const at::Tensor& mask);

}  // namespace imagenet
