// From the loader's uint8 NHWC batch to the model's input on the training device: copied as
// uint8 (a quarter of the bytes of float), then converted and normalized with ImageNet's mean
// and std on the device. Permuting NHWC to NCHW gives channels_last strides for free. On CUDA
// the copy runs asynchronously on a side stream from the loader's page-locked buffers.
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "imagenet/config/config.h"
#include "imagenet/data/batch_loader.h"

namespace imagenet {

/// ImageNet statistics, as torchvision's Normalize uses them.
constexpr double kImageNetMean[3] = {0.485, 0.456, 0.406};
constexpr double kImageNetStd[3] = {0.229, 0.224, 0.225};

struct DeviceBatch {
  at::Tensor images;  ///< [N, 3, H, W] float32, normalized; channels_last strides when asked
  at::Tensor labels;  ///< [N] int64
};

/// Copies and normalizes `batch`; the result does not alias the loader's memory, so the batch
/// can be released once this returns.
DeviceBatch to_device_batch(const Batch& batch, c10::Device device, bool channels_last);

/// Moves the loader's batches to the training device and hands their memory back to the
/// loader. On CUDA the copy is asynchronous, on a side stream: the compute stream waits for it
/// on the GPU (the host does not), and the loader refills the batch's slot only after the copy
/// has finished (an event per batch, see BatchLoader::release_after). Normalization runs on the
/// GPU, so the CPU never touches the pixels again. On the CPU it is to_device_batch.
class BatchTransfer {
 public:
  BatchTransfer(c10::Device device, bool channels_last);
  ~BatchTransfer();
  BatchTransfer(const BatchTransfer&) = delete;
  BatchTransfer& operator=(const BatchTransfer&) = delete;

  /// The batch on the device; `batch` is released (possibly after its copy ends).
  DeviceBatch to_device(std::shared_ptr<const Batch> batch, BatchLoader& loader);

  c10::Device device() const { return device_; }

 private:
  struct CudaState;
  c10::Device device_;
  bool channels_last_;
  std::unique_ptr<CudaState> cuda_;  // the copy stream; null on the CPU
};

/// A run's loader of one split, as its config sets it up: training takes random crops and
/// drops the last partial batch, validation center-crops and reads every image once over the
/// ranks (so its metrics are exact); limit_train_batches / limit_val_batches apply. The batch
/// buffers are page-locked when batches are copied to a GPU (pin_memory), so the copy runs
/// asynchronously.
std::unique_ptr<BatchLoader> open_run_loader(const Config& config,
                                             std::shared_ptr<const DatasetIndex> index, bool train,
                                             int rank, int world_size, c10::Device device);

/// Undoes the normalization: [N, 3, H, W] float -> [N, H, W, 3] uint8 (for pictures).
at::Tensor denormalize_to_uint8(const at::Tensor& images);

}  // namespace imagenet
