// timm's BinaryCrossEntropy (timm/loss/binary_cross_entropy.py), the loss of the ResNet Strikes
// Back recipes: one binary cross-entropy per class on the logits, against one-hot targets with
// label smoothing or against the soft targets mixup made, optionally thresholded to 0/1.
#pragma once

#include <ATen/ATen.h>

namespace imagenet {

/// Mean over the N x C entries of BCE-with-logits(logits, target). `targets` are class indices
/// ([N] int64: made one-hot with off = smoothing / C, on = 1 - smoothing + off) or soft targets
/// ([N, C] float, smoothing already folded in as timm's mixup does). With target_threshold >= 0
/// every target becomes 1 where it exceeds the threshold, else 0 (timm's bce_target_thresh).
/// logits: [N, C], any float dtype (computed in float32).
at::Tensor binary_cross_entropy_loss(const at::Tensor& logits, const at::Tensor& targets,
                                     double smoothing, double target_threshold = -1.0);

}  // namespace imagenet
