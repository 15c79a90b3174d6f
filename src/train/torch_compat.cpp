// Implements train/torch_compat.h with TORCH_VERSION guards.
#include "imagenet/train/torch_compat.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#ifdef IMAGENET_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#include <optional>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

#define IMAGENET_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||           \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace imagenet::compat {

bool autocast_enabled(c10::DeviceType device) {
#if IMAGENET_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled()
                                         : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocast_dtype(c10::DeviceType device) {
#if IMAGENET_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                         : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if IMAGENET_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device, enabled);
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

bool cuda_available() {
  return torch::cuda::is_available();
}

int cuda_device_count() {
  return static_cast<int>(torch::cuda::device_count());
}

std::string build_description() {
#ifdef IMAGENET_WITH_CUDA
  return str_cat("LibTorch ", TORCH_VERSION, " with CUDA");
#else
  return str_cat("LibTorch ", TORCH_VERSION, ", CPU only");
#endif
}

std::string describe_device(const c10::Device& device) {
#ifdef IMAGENET_WITH_CUDA
  if (device.is_cuda()) {
    const cudaDeviceProp* p = at::cuda::getDeviceProperties(device.index());
    return str_printf("cuda:%d (%s, %.0f GiB)", static_cast<int>(device.index()), p->name,
                      p->totalGlobalMem / 1073741824.0);
  }
#endif
  return device.str();
}

void configure_cuda_math(bool cudnn_benchmark, bool tf32) {
  auto& context = at::globalContext();
  context.setBenchmarkCuDNN(cudnn_benchmark);
  context.setAllowTF32CuBLAS(tf32);
  context.setAllowTF32CuDNN(tf32);
}

bool fused_sgd_available(const c10::Device& device) {
#if IMAGENET_TORCH_AT_LEAST(2, 4)
  return device.is_cuda();
#else
  return false;
#endif
}

void fused_sgd(at::TensorList params, at::TensorList grads, at::TensorList buffers,
               double weight_decay, double momentum, double lr, bool nesterov) {
#if IMAGENET_TORCH_AT_LEAST(2, 4)
  at::_fused_sgd_(params, grads, momentum != 0.0 ? buffers : at::TensorList(), weight_decay,
                  momentum, lr, /*dampening=*/0.0, nesterov, /*maximize=*/false,
                  /*is_first_step=*/false);
#else
  throw RuntimeError("fused SGD needs LibTorch 2.4 or later");
#endif
}

void fused_sgd(at::TensorList params, at::TensorList grads, at::TensorList buffers,
               double weight_decay, double momentum, const at::Tensor& lr, bool nesterov,
               const at::Tensor& found_inf) {
#if IMAGENET_TORCH_AT_LEAST(2, 4)
  std::optional<at::Tensor> inf;
  if (found_inf.defined()) inf = found_inf;
  at::_fused_sgd_(params, grads, momentum != 0.0 ? buffers : at::TensorList(), weight_decay,
                  momentum, lr, /*dampening=*/0.0, nesterov, /*maximize=*/false,
                  /*is_first_step=*/false, /*grad_scale=*/std::nullopt, inf);
#else
  throw RuntimeError("fused SGD needs LibTorch 2.4 or later");
#endif
}

void set_cuda_device(int index) {
#ifdef IMAGENET_WITH_CUDA
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(index));
#else
  (void)index;
#endif
}

int64_t peak_memory_bytes(const c10::Device& device) {
#ifdef IMAGENET_WITH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return stats.allocated_bytes[0].peak;  // [0]: StatType::AGGREGATE, in 1.13 and 2.x
  }
#endif
  (void)device;
  return -1;
}

void reset_peak_memory(const c10::Device& device) {
#ifdef IMAGENET_WITH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
  (void)device;
}

std::string library_versions() {
#ifdef IMAGENET_WITH_CUDA
  // CUDART_VERSION is 1000 x major + 10 x minor; cuDNN's is 10000 x major + 100 x minor +
  // patch since 9 (1000 x major before).
  std::string line = str_cat("LibTorch ", TORCH_VERSION, ", CUDA runtime ", CUDART_VERSION / 1000,
                             ".", (CUDART_VERSION % 1000) / 10);
  if (at::detail::getCUDAHooks().hasCuDNN()) {
    const long v = at::detail::getCUDAHooks().versionCuDNN();
    const long major = v >= 90000 ? v / 10000 : v / 1000;
    const long minor = v >= 90000 ? (v / 100) % 100 : (v / 100) % 10;
    line += str_cat(", cuDNN ", major, ".", minor, ".", v % 100);
  }
  return line;
#else
  return str_cat("LibTorch ", TORCH_VERSION, " (CPU only)");
#endif
}

}  // namespace imagenet::compat
