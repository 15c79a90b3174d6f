// Implements train/bce_loss.h after timm/loss/binary_cross_entropy.py (BinaryCrossEntropy.forward).
#include "imagenet/train/bce_loss.h"

#include "imagenet/util/error.h"

namespace imagenet {

at::Tensor binary_cross_entropy_loss(const at::Tensor& logits, const at::Tensor& targets,
                                     double smoothing, double target_threshold) {
  IMAGENET_CHECK(logits.dim() == 2, "BCE expects [N, C] logits, not ", logits.sizes());
  IMAGENET_CHECK(targets.size(0) == logits.size(0), "BCE: ", targets.size(0), " targets for ",
                 logits.size(0), " logits");
  const at::Tensor x = logits.to(at::kFloat);
  at::Tensor target;
  if (targets.dim() == 1) {
    const int64_t classes = logits.size(1);
    const double off = smoothing / static_cast<double>(classes);
    target = at::full_like(x, off).scatter_(1, targets.to(at::kLong).view({-1, 1}),
                                            1.0 - smoothing + off);
  } else {
    IMAGENET_CHECK(targets.sizes() == logits.sizes(), "BCE: soft targets ", targets.sizes(),
                   " for logits ", logits.sizes());
    target = targets.to(at::kFloat);
  }
  if (target_threshold >= 0) target = target.gt(target_threshold).to(at::kFloat);
  return at::binary_cross_entropy_with_logits(x, target);
}

}  // namespace imagenet
