// Implements train/batch_input.h.
#include "imagenet/train/batch_input.h"

namespace imagenet {
namespace {

/// (x / 255 - mean) / std as x * scale + shift, per channel: [1, 3, 1, 1] each.
std::pair<at::Tensor, at::Tensor> normalization(c10::Device device) {
  float scale[3], shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = static_cast<float>(1.0 / (255.0 * kImageNetStd[c]));
    shift[c] = static_cast<float>(-kImageNetMean[c] / kImageNetStd[c]);
  }
  auto options = at::TensorOptions().dtype(at::kFloat);
  // copy=true: on the CPU, to() would otherwise alias these stack arrays.
  return {at::from_blob(scale, {1, 3, 1, 1}, options).to(device, false, /*copy=*/true),
          at::from_blob(shift, {1, 3, 1, 1}, options).to(device, false, /*copy=*/true)};
}

}  // namespace

DeviceBatch to_device_batch(const Batch& batch, c10::Device device, bool channels_last) {
  // Cached per thread and device: two tiny tensors.
  thread_local c10::Device cached_device = c10::Device(c10::kCPU);
  thread_local std::pair<at::Tensor, at::Tensor> norm;
  if (!norm.first.defined() || cached_device != device) {
    norm = normalization(device);
    cached_device = device;
  }
  const int64_t n = batch.size;
  at::Tensor host = at::from_blob(batch.images, {n, batch.height, batch.width, 3}, at::kByte);
  // [N, H, W, 3] uint8 -> [N, 3, H, W] view with channels_last strides -> float, normalized.
  at::Tensor images = host.to(device).permute({0, 3, 1, 2}).to(at::kFloat);
  images.mul_(norm.first).add_(norm.second);
  if (!channels_last) images = images.contiguous();
  at::Tensor labels = at::from_blob(const_cast<int64_t*>(batch.labels), {n}, at::kLong)
                          .to(device, /*non_blocking=*/false, /*copy=*/true);
  return {images, labels};
}

at::Tensor denormalize_to_uint8(const at::Tensor& images) {
  auto [scale, shift] = normalization(images.device());
  return images.sub(shift)
      .div(scale)
      .clamp(0, 255)
      .round()
      .to(at::kByte)
      .permute({0, 2, 3, 1})
      .contiguous();
}

}  // namespace imagenet
