// Implements train/batch_input.h. The CUDA path is compiled only with a CUDA LibTorch.
#include "imagenet/train/batch_input.h"

#include <map>
#include <mutex>

#include "imagenet/data/loader_options.h"

#ifdef IMAGENET_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

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

/// [N, H, W, 3] uint8 on `device` -> [N, 3, H, W] float normalized, channels_last strides
/// (the permuted view has them) unless `channels_last` is false.
at::Tensor normalize_on_device(const at::Tensor& images_u8, bool channels_last) {
  // Cached per thread and device: two tiny tensors.
  thread_local c10::Device cached_device = c10::Device(c10::kCPU);
  thread_local std::pair<at::Tensor, at::Tensor> norm;
  if (!norm.first.defined() || cached_device != images_u8.device()) {
    norm = normalization(images_u8.device());
    cached_device = images_u8.device();
  }
  at::Tensor images = images_u8.permute({0, 3, 1, 2}).to(at::kFloat);
  images.mul_(norm.first).add_(norm.second);
  return channels_last ? images : images.contiguous();
}

}  // namespace

DeviceBatch to_device_batch(const Batch& batch, c10::Device device, bool channels_last) {
  const int64_t n = batch.size;
  at::Tensor host = at::from_blob(batch.images, {n, batch.height, batch.width, 3}, at::kByte);
  at::Tensor images = normalize_on_device(host.to(device), channels_last);
  at::Tensor labels = at::from_blob(const_cast<int64_t*>(batch.labels), {n}, at::kLong)
                          .to(device, /*non_blocking=*/false, /*copy=*/true);
  return {images, labels};
}

#ifdef IMAGENET_WITH_CUDA
struct BatchTransfer::CudaState {
  c10::cuda::CUDAStream copy_stream;
};
#else
struct BatchTransfer::CudaState {};
#endif

BatchTransfer::BatchTransfer(c10::Device device, bool channels_last)
    : device_(device), channels_last_(channels_last) {
#ifdef IMAGENET_WITH_CUDA
  if (device_.is_cuda())
    cuda_.reset(
        new CudaState{c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device_.index())});
#endif
}

BatchTransfer::~BatchTransfer() = default;

DeviceBatch BatchTransfer::to_device(std::shared_ptr<const Batch> batch, BatchLoader& loader) {
#ifdef IMAGENET_WITH_CUDA
  if (cuda_) {
    const int64_t n = batch->size;
    const c10::cuda::CUDAStream compute = c10::cuda::getCurrentCUDAStream(device_.index());
    auto copied = std::make_shared<at::cuda::CUDAEvent>();
    at::Tensor images_u8, labels;
    {
      // Allocated on the copy stream, written there from the page-locked slot.
      c10::cuda::CUDAStreamGuard guard(cuda_->copy_stream);
      const auto on_device = at::TensorOptions().device(device_);
      images_u8 = at::empty({n, batch->height, batch->width, 3}, on_device.dtype(at::kByte));
      labels = at::empty({n}, on_device.dtype(at::kLong));
      images_u8.copy_(at::from_blob(batch->images, {n, batch->height, batch->width, 3}, at::kByte),
                      /*non_blocking=*/true);
      labels.copy_(at::from_blob(const_cast<int64_t*>(batch->labels), {n}, at::kLong),
                   /*non_blocking=*/true);
      copied->record(cuda_->copy_stream);
    }
    // The compute stream waits for the copy on the GPU; the caching allocator must not hand
    // the memory back to the copy stream while the compute stream still uses it.
    copied->block(compute);
    images_u8.record_stream(compute);
    labels.record_stream(compute);
    loader.release_after(std::move(batch), [copied] { copied->synchronize(); });
    return {normalize_on_device(images_u8, channels_last_), labels};
  }
#endif
  DeviceBatch out = to_device_batch(*batch, device_, channels_last_);
  batch.reset();  // copied: the loader may refill the slot
  return out;
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

std::unique_ptr<BatchLoader> open_run_loader(const Config& config,
                                             std::shared_ptr<const DatasetIndex> index, bool train,
                                             int rank, int world_size, c10::Device device) {
  LoaderOptions o = loader_options_from_config(config, train, rank, world_size);
  o.sampler.pad = false;  // validation: each image once over all ranks
  const BatchLimit& limit = train ? config.data.limit_train_batches : config.data.limit_val_batches;
  o.max_batches = limit.apply(batches_per_epoch(*index, o));
  if (device.is_cuda() && config.data.pin_memory) {
    // Page-locked tensors, held until the loader releases their memory.
    struct Pinned {
      std::mutex mutex;
      std::map<void*, at::Tensor> tensors;
    };
    auto pinned = std::make_shared<Pinned>();
    o.allocator.allocate = [pinned](size_t bytes) {
      at::Tensor t = at::empty({static_cast<int64_t>(bytes)},
                               at::TensorOptions().dtype(at::kByte).pinned_memory(true));
      std::lock_guard<std::mutex> lock(pinned->mutex);
      pinned->tensors[t.data_ptr()] = t;
      return t.data_ptr();
    };
    o.allocator.release = [pinned](void* memory) {
      std::lock_guard<std::mutex> lock(pinned->mutex);
      pinned->tensors.erase(memory);
    };
  }
  return std::make_unique<BatchLoader>(std::move(index), std::move(o));
}

}  // namespace imagenet
