// Automatic mixed precision: an RAII autocast region and the dynamic loss scaler of fp16
// training (PyTorch's GradScaler: init 2^16, growth x2 every 2000 clean steps, backoff x0.5 on
// inf/NaN, which also skips that step).
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include "imagenet/config/config.h"

namespace imagenet {

/// Turns autocast on for `precision` (nothing for float32) until destroyed. Autocast state is
/// per thread: create it in the thread that runs forward.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, Precision precision);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool active_ = false;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

struct GradScalerOptions {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  /// A disabled scaler passes the loss through and never skips a step.
  GradScaler(bool enabled, c10::Device device, GradScalerOptions options = {});

  bool enabled() const { return enabled_; }
  /// loss x scale.
  at::Tensor scale(const at::Tensor& loss) const;
  /// Divides the gradients by the scale in place; false when any is inf or NaN (skip the step).
  bool unscale(const std::vector<at::Tensor>& grads);
  /// Grows or backs off the scale after a step (pass what unscale returned).
  void update(bool grads_were_finite);

  /// unscale() and update() without reading anything back to the host (for CUDA graphs):
  /// found_inf() holds, on the device, whether any gradient overflowed, for the optimizer to
  /// skip its update on the device. CUDA only (PyTorch's fused AMP kernels).
  void unscale_on_device(const std::vector<at::Tensor>& grads);
  void update_on_device();
  /// float32 [1] on the device: non-zero when the last unscale found inf or NaN.
  const at::Tensor& found_inf() const { return found_inf_; }

  double scale_value() const;
  at::Tensor scale_tensor() const { return scale_; }
  at::Tensor growth_tracker() const { return growth_tracker_; }
  void load(const at::Tensor& scale, const at::Tensor& growth_tracker);

 private:
  bool enabled_;
  GradScalerOptions options_;
  at::Tensor scale_;           // float32 [1] on the device
  at::Tensor growth_tracker_;  // int32 [1] on the device
  at::Tensor found_inf_;       // float32 [1]
};

}  // namespace imagenet
