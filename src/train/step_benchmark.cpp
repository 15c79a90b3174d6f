// Implements train/step_benchmark.h.
#include "imagenet/train/step_benchmark.h"

#include <torch/cuda.h>

#include <chrono>

namespace imagenet {

DeviceBatch synthetic_batch(int64_t n, int64_t size, int64_t num_classes, c10::Device device,
                            bool channels_last) {
  DeviceBatch b;
  b.images = at::randn({n, 3, size, size}, at::TensorOptions().device(device));
  if (channels_last) b.images = b.images.contiguous(at::MemoryFormat::ChannelsLast);
  b.labels = at::randint(num_classes, {n}, at::TensorOptions().dtype(at::kLong).device(device));
  return b;
}

StepTiming time_train_steps(TrainStep& step, const DeviceBatch& batch, double lr, int warmup,
                            int steps, int64_t first_step) {
  const bool cuda = batch.images.device().is_cuda();
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };
  int64_t index = first_step;
  for (int i = 0; i < warmup; ++i) {
    DeviceBatch b = batch;
    step.run(b, lr, index++);
  }
  sync();
  StepTiming timing;
  timing.steps = steps;
  timing.batch = batch.images.size(0);
  const auto start = std::chrono::steady_clock::now();
  at::Tensor loss;
  for (int i = 0; i < steps; ++i) {
    DeviceBatch b = batch;
    loss = step.run(b, lr, index++).loss;
  }
  sync();
  timing.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (loss.defined()) timing.loss = loss.item<double>();
  return timing;
}

}  // namespace imagenet
