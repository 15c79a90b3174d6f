// Implements train/mixup.h.
#include "imagenet/train/mixup.h"

#include <ATen/TensorIndexing.h>

#include <algorithm>
#include <cmath>

namespace imagenet {

bool mixing_enabled(const MixConfig& config) {
  return config.mixup_prob > 0 && (config.mixup_alpha > 0 || config.cutmix_alpha > 0);
}

MixParams cutmix_box(double lam, int height, int width, int center_y, int center_x) {
  const double ratio = std::sqrt(1.0 - lam);
  const int cut_h = static_cast<int>(height * ratio), cut_w = static_cast<int>(width * ratio);
  MixParams p;
  p.kind = MixKind::kCutMix;
  p.y0 = std::clamp(center_y - cut_h / 2, 0, height);
  p.y1 = std::clamp(center_y + cut_h / 2, 0, height);
  p.x0 = std::clamp(center_x - cut_w / 2, 0, width);
  p.x1 = std::clamp(center_x + cut_w / 2, 0, width);
  const double box = static_cast<double>(p.y1 - p.y0) * (p.x1 - p.x0);
  p.lam = 1.0 - box / (static_cast<double>(height) * width);
  return p;
}

MixParams sample_mix_params(const MixConfig& config, int height, int width, Rng& rng) {
  MixParams p;
  if (!mixing_enabled(config) || rng.uniform() >= config.mixup_prob) return p;
  bool cutmix = false;
  double lam = 1.0;
  if (config.mixup_alpha > 0 && config.cutmix_alpha > 0) {
    cutmix = rng.uniform() < config.mixup_switch_prob;
    lam = cutmix ? rng.beta(config.cutmix_alpha, config.cutmix_alpha)
                 : rng.beta(config.mixup_alpha, config.mixup_alpha);
  } else if (config.mixup_alpha > 0) {
    lam = rng.beta(config.mixup_alpha, config.mixup_alpha);
  } else {
    cutmix = true;
    lam = rng.beta(config.cutmix_alpha, config.cutmix_alpha);
  }
  if (!cutmix) {
    p.kind = MixKind::kMixup;
    p.lam = lam;
    return p;
  }
  int cy = static_cast<int>(rng.uniform_int(0, height));
  int cx = static_cast<int>(rng.uniform_int(0, width));
  return cutmix_box(lam, height, width, cy, cx);
}

at::Tensor smooth_one_hot(const at::Tensor& labels, int64_t num_classes, double smoothing) {
  const double off = smoothing / num_classes;
  const double on = 1.0 - smoothing + off;
  return at::full({labels.size(0), num_classes}, off,
                  at::TensorOptions().dtype(at::kFloat).device(labels.device()))
      .scatter_(1, labels.view({-1, 1}), on);
}

at::Tensor apply_mix(at::Tensor& images, const at::Tensor& labels, const MixParams& params,
                     int64_t num_classes, double smoothing) {
  at::Tensor y1 = smooth_one_hot(labels, num_classes, smoothing);
  if (params.kind == MixKind::kNone) return y1;
  at::Tensor y2 = y1.flip({0});
  if (params.kind == MixKind::kMixup) {
    at::Tensor flipped = images.flip({0}).mul_(1.0 - params.lam);
    images.mul_(params.lam).add_(flipped);
  } else if (params.y1 > params.y0 && params.x1 > params.x0) {
    using at::indexing::Slice;
    at::Tensor patch = images.flip({0}).index(
        {Slice(), Slice(), Slice(params.y0, params.y1), Slice(params.x0, params.x1)});
    images.index_put_({Slice(), Slice(), Slice(params.y0, params.y1), Slice(params.x0, params.x1)},
                      patch);
  }
  return y1.mul_(params.lam).add_(y2, 1.0 - params.lam);
}

at::Tensor soft_target_cross_entropy(const at::Tensor& logits, const at::Tensor& targets) {
  return at::sum(-targets * at::log_softmax(logits, -1), -1).mean();
}

}  // namespace imagenet
