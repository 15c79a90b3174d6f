// Tests train/bce_loss against timm's BinaryCrossEntropy worked out element by element in double
// precision: mean of max(x, 0) - x t + log(1 + exp(-|x|)) over N x C, with one-hot smoothed
// targets, with mixup's soft targets, and thresholded targets.
#include "imagenet/train/bce_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "imagenet/train/mixup.h"

namespace imagenet {
namespace {

double reference(const at::Tensor& logits, const at::Tensor& targets) {
  const at::Tensor x = logits.to(torch::kDouble).contiguous(),
                   t = targets.to(torch::kDouble).contiguous();
  double sum = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double xi = x.data_ptr<double>()[i], ti = t.data_ptr<double>()[i];
    sum += std::max(xi, 0.0) - xi * ti + std::log1p(std::exp(-std::abs(xi)));
  }
  return sum / static_cast<double>(x.numel());
}

TEST(BceLoss, ProducesTimmsValues) {
  torch::manual_seed(2);
  const int64_t n = 6, c = 5;
  const at::Tensor logits = torch::randn({n, c}) * 3;
  const at::Tensor labels = torch::tensor({0, 4, 2, 2, 1, 3}, torch::kLong);
  // One-hot with smoothing 0.1: off 0.02, on 0.92.
  at::Tensor one_hot = torch::full({n, c}, 0.02);
  for (int64_t i = 0; i < n; ++i) one_hot[i][labels[i].item<int64_t>()] = 0.92;
  EXPECT_NEAR(binary_cross_entropy_loss(logits, labels, 0.1).item<double>(),
              reference(logits, one_hot), 1e-6);
  // No smoothing, threshold 0.2 (RSB): one-hot 0/1 targets either way.
  EXPECT_NEAR(binary_cross_entropy_loss(logits, labels, 0.0, 0.2).item<double>(),
              reference(logits, (one_hot > 0.5).to(torch::kFloat)), 1e-6);
  // Mixup's soft targets (smoothing folded in), thresholded at 0.2: a lambda of 0.7 keeps both
  // classes at 1, 0.9 only the first.
  for (double lam : {0.7, 0.9}) {
    const at::Tensor soft =
        lam * smooth_one_hot(labels, c, 0.1) + (1 - lam) * smooth_one_hot(labels.flip(0), c, 0.1);
    EXPECT_NEAR(binary_cross_entropy_loss(logits, soft, 0.1).item<double>(),
                reference(logits, soft), 1e-6);
    EXPECT_NEAR(binary_cross_entropy_loss(logits, soft, 0.0, 0.2).item<double>(),
                reference(logits, (soft > 0.2).to(torch::kFloat)), 1e-6);
  }
  // bf16 logits are computed in float32.
  EXPECT_NEAR(binary_cross_entropy_loss(logits.to(torch::kBFloat16), labels, 0.1).item<double>(),
              reference(logits.to(torch::kBFloat16), one_hot), 1e-6);
}

}  // namespace
}  // namespace imagenet
