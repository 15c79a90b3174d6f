// Implements model/drop_path.h after timm/layers/drop.py (drop_path, scale_by_keep) and
// timm/models/resnet.py (block_dpr = drop_path_rate * net_block_idx / (net_num_blocks - 1)).
#include "imagenet/model/drop_path.h"

#include "imagenet/util/error.h"

namespace imagenet {

std::vector<double> drop_path_rates(double drop_path_rate, int64_t num_blocks) {
  IMAGENET_CHECK(drop_path_rate >= 0 && drop_path_rate < 1,
                 "drop_path_rate must be in [0, 1), not ", drop_path_rate);
  std::vector<double> rates(num_blocks, 0.0);
  for (int64_t i = 0; i < num_blocks && num_blocks > 1; ++i)
    rates[i] = drop_path_rate * static_cast<double>(i) / static_cast<double>(num_blocks - 1);
  return rates;
}

at::Tensor sample_drop_path_masks(const std::vector<double>& rates, int64_t batch, Rng& rng) {
  at::Tensor masks = at::ones({static_cast<int64_t>(rates.size()), batch}, at::kFloat);
  float* m = masks.data_ptr<float>();
  for (size_t b = 0; b < rates.size(); ++b) {
    if (rates[b] <= 0) continue;
    const double keep = 1.0 - rates[b];
    for (int64_t i = 0; i < batch; ++i)
      m[b * batch + i] = rng.bernoulli(keep) ? static_cast<float>(1.0 / keep) : 0.0f;
  }
  return masks;
}

at::Tensor drop_path(const at::Tensor& x, const at::Tensor& mask) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  return x * mask.to(x.dtype()).view(shape);
}

}  // namespace imagenet
