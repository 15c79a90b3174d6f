// Implements train/amp.h. On CUDA the scaler uses the fused ATen kernels PyTorch's GradScaler
// uses; LibTorch 1.13 has no CPU kernels for them, so CPU (tests) uses the same maths composed
// of ordinary ops.
#include "imagenet/train/amp.h"

#include <ATen/autocast_mode.h>

#include "imagenet/train/torch_compat.h"
#include "imagenet/util/error.h"

namespace imagenet {

AutocastGuard::AutocastGuard(c10::DeviceType device, Precision precision) : device_(device) {
  if (precision == Precision::kFloat32) return;
  active_ = true;
  previous_enabled_ = compat::autocast_enabled(device);
  previous_dtype_ = compat::autocast_dtype(device);
  compat::set_autocast(device, true,
                       precision == Precision::kFloat16Mixed ? at::kHalf : at::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // Leaving the outermost region drops the cached low-precision copies of the weights, as
  // Python's autocast.__exit__ does; without it the next step would reuse stale casts.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  compat::set_autocast(device_, previous_enabled_, previous_dtype_);
}

GradScaler::GradScaler(bool enabled, c10::Device device, GradScalerOptions options)
    : enabled_(enabled), options_(options) {
  auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  scale_ = at::full({1}, options.init_scale, f32);
  growth_tracker_ = at::zeros({1}, f32.dtype(at::kInt));
  found_inf_ = at::zeros({1}, f32);
}

at::Tensor GradScaler::scale(const at::Tensor& loss) const {
  return enabled_ ? loss * scale_.to(loss.scalar_type()) : loss;
}

bool GradScaler::unscale(const std::vector<at::Tensor>& grads) {
  if (!enabled_ || grads.empty()) return true;
  found_inf_.zero_();
  at::Tensor inv_scale = scale_.to(at::kDouble).reciprocal().to(at::kFloat);
  if (scale_.is_cuda()) {
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
  } else {
    for (const auto& g : grads) {
      found_inf_.add_(at::logical_not(at::isfinite(g)).any().to(at::kFloat));
      g.mul_(inv_scale);
    }
  }
  return found_inf_.item<float>() == 0.0f;  // one host sync per step, as in PyTorch
}

void GradScaler::update(bool grads_were_finite) {
  if (!enabled_) return;
  if (scale_.is_cuda()) {
    found_inf_.fill_(grads_were_finite ? 0.0 : 1.0);
    at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor,
                           options_.backoff_factor, options_.growth_interval);
    return;
  }
  if (!grads_were_finite) {
    scale_.mul_(options_.backoff_factor);
    growth_tracker_.zero_();
    return;
  }
  growth_tracker_.add_(1);
  if (growth_tracker_.item<int>() >= options_.growth_interval) {
    scale_.mul_(options_.growth_factor);
    growth_tracker_.zero_();
  }
}

void GradScaler::unscale_on_device(const std::vector<at::Tensor>& grads) {
  IMAGENET_CHECK(scale_.is_cuda(), "the loss scaler works on the device only on CUDA");
  found_inf_.zero_();
  if (!enabled_ || grads.empty()) return;
  at::Tensor inv_scale = scale_.to(at::kDouble).reciprocal().to(at::kFloat);
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
}

void GradScaler::update_on_device() {
  if (!enabled_) return;
  IMAGENET_CHECK(scale_.is_cuda(), "the loss scaler works on the device only on CUDA");
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor,
                         options_.backoff_factor, options_.growth_interval);
}

double GradScaler::scale_value() const {
  return enabled_ ? scale_.item<float>() : 1.0;
}

void GradScaler::load(const at::Tensor& scale, const at::Tensor& growth_tracker) {
  scale_.copy_(scale);
  growth_tracker_.copy_(growth_tracker);
}

}  // namespace imagenet
