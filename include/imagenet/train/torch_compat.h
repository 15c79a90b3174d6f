// The few LibTorch calls whose spelling differs between Debian's 1.13 (CPU, CI) and the 2.x
// in a CUDA wheel, each behind one small function. Everything version-specific lives here or
// in src/distributed.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <string>

namespace imagenet::compat {

bool autocast_enabled(c10::DeviceType device);
at::ScalarType autocast_dtype(c10::DeviceType device);
void set_autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype);

/// True when this LibTorch was built with CUDA and a GPU is visible.
bool cuda_available();
int cuda_device_count();

/// "LibTorch 2.11.0 with CUDA" or "LibTorch 1.13.0, CPU only".
std::string build_description();
/// "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3, 79 GiB)".
std::string describe_device(const c10::Device& device);
/// True when this LibTorch has the fused SGD kernel (at::_fused_sgd_, LibTorch >= 2.4) and
/// `device` is a GPU: one kernel updates every parameter, momentum buffer included.
bool fused_sgd_available(const c10::Device& device);
/// One fused SGD update (dampening 0) of `params`; the buffers must exist (zeros on the first
/// step give the same update). `lr` is a double, or a 1-element tensor on the device (read at
/// run time, so a CUDA graph can replay it with a new value); a non-zero `found_inf` (may be
/// undefined) skips the update on the device. Throws when fused_sgd_available() is false.
void fused_sgd(at::TensorList params, at::TensorList grads, at::TensorList buffers,
               double weight_decay, double momentum, double lr, bool nesterov);
void fused_sgd(at::TensorList params, at::TensorList grads, at::TensorList buffers,
               double weight_decay, double momentum, const at::Tensor& lr, bool nesterov,
               const at::Tensor& found_inf);

/// cuDNN autotuning and TF32 matrix maths (the legacy setters, which exist in 1.13 and 2.x).
void configure_cuda_math(bool cudnn_benchmark, bool tf32);
/// Makes GPU `index` this thread's current device (before NCCL starts: it binds to it).
void set_cuda_device(int index);

/// The most bytes of GPU memory the caching allocator held for tensors on `device` since the
/// last reset_peak_memory (torch.cuda.max_memory_allocated); -1 for a CPU device.
int64_t peak_memory_bytes(const c10::Device& device);
/// Starts a new peak (torch.cuda.reset_peak_memory_stats); nothing for a CPU device.
void reset_peak_memory(const c10::Device& device);

/// The libraries this binary runs on, one line: "LibTorch 1.13.1 (CPU only)", or with CUDA
/// "LibTorch 2.11.0, CUDA runtime 13.0, cuDNN 9.10.2" (NCCL is distributed/'s to say).
std::string library_versions();

}  // namespace imagenet::compat
