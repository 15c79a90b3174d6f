// Mixup and CutMix as timm does them (timm/data/mixup.py): per batch (mode "batch"), per pair
// of images i and N-1-i ("pair") or per image ("elem"), with probability mixup_prob, one of the
// two (CutMix with mixup_switch_prob when both are on), pairing each image with the batch
// reversed; CutMix's lambda is corrected to the clipped box; label smoothing is folded into
// the soft targets. The caller samples the parameters (pure),
// apply_mix does the tensor work on the training device.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "imagenet/config/config.h"
#include "imagenet/util/rng.h"

namespace imagenet {

enum class MixKind { kNone, kMixup, kCutMix };

struct MixParams {
  MixKind kind = MixKind::kNone;
  double lam = 1.0;  ///< weight of the original image (after CutMix's box correction)
  int y0 = 0, y1 = 0, x0 = 0, x1 = 0;  ///< CutMix box, rows [y0, y1) and columns [x0, x1)
};

/// True when the config mixes at all.
bool mixing_enabled(const MixConfig& config);

/// Draws the parameters for one batch of height x width images.
MixParams sample_mix_params(const MixConfig& config, int height, int width, Rng& rng);

/// timm's rand_bbox + lambda correction for a given lambda and box center.
MixParams cutmix_box(double lam, int height, int width, int center_y, int center_x);

/// Draws the parameters of every image of a batch of `batch` height x width images, one per
/// image, for `mode` (_params_per_batch / _params_per_elem): kBatch repeats one draw, kPair
/// draws batch / 2 and mirrors them onto the second half, kElem draws one per image. Image i
/// is mixed with image N-1-i.
std::vector<MixParams> sample_mix_params(const MixConfig& config, MixMode mode, int64_t batch,
                                         int height, int width, Rng& rng);

/// Mixes `images` ([N, 3, H, W], float) in place with per-image parameters (one per image, as
/// sample_mix_params gives them: image i takes from the unmixed image N-1-i, Mixup weights or
/// a CutMix box) and returns the soft targets [N, C], each row lam_i y_i + (1 - lam_i) y_{N-1-i}.
at::Tensor apply_mix(at::Tensor& images, const at::Tensor& labels,
                     const std::vector<MixParams>& params, int64_t num_classes, double smoothing);

/// One-hot targets with label smoothing: 1 - s + s/C on the label, s/C elsewhere. float32 [N, C].
at::Tensor smooth_one_hot(const at::Tensor& labels, int64_t num_classes, double smoothing);

/// Mixes `images` ([N, 3, H, W], float) in place and returns the soft targets [N, C].
at::Tensor apply_mix(at::Tensor& images, const at::Tensor& labels, const MixParams& params,
                     int64_t num_classes, double smoothing);

/// Cross entropy against soft targets: mean over the batch of -sum(target * log_softmax).
at::Tensor soft_target_cross_entropy(const at::Tensor& logits, const at::Tensor& targets);

}  // namespace imagenet
