// Implements train/mixup.h.
#include "imagenet/train/mixup.h"

#include <ATen/TensorIndexing.h>

#include <algorithm>
#include <cmath>

#include "imagenet/util/error.h"

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

namespace {

// _params_per_elem for one image: use_cutmix with switch_prob, lam from the chosen beta, and
// lam kept only with probability mixup_prob. The CutMix box is drawn for that lam.
MixParams sample_one(const MixConfig& config, int height, int width, Rng& rng) {
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
  if (rng.uniform() >= config.mixup_prob) return MixParams{};
  if (!cutmix) return MixParams{MixKind::kMixup, lam};
  const int cy = static_cast<int>(rng.uniform_int(0, height));
  const int cx = static_cast<int>(rng.uniform_int(0, width));
  return cutmix_box(lam, height, width, cy, cx);
}

}  // namespace

std::vector<MixParams> sample_mix_params(const MixConfig& config, MixMode mode, int64_t batch,
                                         int height, int width, Rng& rng) {
  if (mode == MixMode::kBatch)
    return std::vector<MixParams>(batch, sample_mix_params(config, height, width, rng));
  std::vector<MixParams> params(batch);
  if (!mixing_enabled(config)) return params;
  if (mode == MixMode::kElem) {
    for (auto& p : params) p = sample_one(config, height, width, rng);
    return params;
  }
  // pair: image i and N-1-i swap with the same lambda and box (the middle of an odd batch
  // stays itself, as timm only supports even batches).
  for (int64_t i = 0; i < batch / 2; ++i)
    params[i] = params[batch - 1 - i] = sample_one(config, height, width, rng);
  return params;
}

at::Tensor apply_mix(at::Tensor& images, const at::Tensor& labels,
                     const std::vector<MixParams>& params, int64_t num_classes, double smoothing) {
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  IMAGENET_CHECK(static_cast<int64_t>(params.size()) == n, params.size(),
                 " mix parameters for a batch of ", n);
  // Per image: the Mixup weight (1 for CutMix and unmixed images), the CutMix box (empty
  // otherwise), and the target weight lam.
  std::vector<float> weight(n, 1.0f), lam(n, 1.0f);
  std::vector<int64_t> boxes(static_cast<size_t>(n) * 4, 0);
  bool any = false;
  for (int64_t i = 0; i < n; ++i) {
    const MixParams& p = params[i];
    if (p.kind == MixKind::kNone) continue;
    any = true;
    lam[i] = static_cast<float>(p.lam);
    if (p.kind == MixKind::kMixup) {
      weight[i] = static_cast<float>(p.lam);
    } else {
      boxes[i * 4] = p.y0, boxes[i * 4 + 1] = p.y1, boxes[i * 4 + 2] = p.x0,
                boxes[i * 4 + 3] = p.x1;
    }
  }
  at::Tensor y1 = smooth_one_hot(labels, num_classes, smoothing);
  if (!any) return y1;
  const auto device = images.device();
  const at::Tensor flipped = images.flip({0});
  const at::Tensor wt = at::tensor(weight).to(device).to(images.dtype()).view({n, 1, 1, 1});
  images.mul_(wt).add_(flipped * (1 - wt));
  // CutMix: inside each image's box, the flipped image's pixels.
  const at::Tensor b = at::tensor(boxes).to(device).view({n, 4, 1, 1});
  const at::Tensor rows =
      at::arange(h, at::TensorOptions().dtype(at::kLong).device(device)).view({1, h, 1});
  const at::Tensor cols =
      at::arange(w, at::TensorOptions().dtype(at::kLong).device(device)).view({1, 1, w});
  const at::Tensor inside = (rows >= b.select(1, 0)) & (rows < b.select(1, 1)) &
                            (cols >= b.select(1, 2)) & (cols < b.select(1, 3));  // [N, H, W]
  images.copy_(at::where(inside.unsqueeze(1), flipped, images));
  const at::Tensor l = at::tensor(lam).to(labels.device()).view({n, 1});
  return y1 * l + y1.flip({0}) * (1 - l);
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
