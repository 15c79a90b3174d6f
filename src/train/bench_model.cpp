// Implements train/bench_command.h: TrainStep::run in a loop on one synthetic batch.
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "imagenet/train/bench_command.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/train/train_step.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

namespace imagenet {

int run_bench_model_command(const BenchModelCommand& command) {
  log_init({});
  Config config = load_config(command.sources);
  const bool cuda = compat::cuda_available() && config.train.accelerator != Accelerator::kCpu;
  const c10::Device device = cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (config.train.precision == Precision::kFloat16Mixed && !cuda)
    throw UsageError("precision 16-mixed needs a CUDA GPU; use 32 or bf16-mixed on the CPU.");
  if (!cuda)
    at::set_num_threads(config.train.cpu_threads > 0
                            ? config.train.cpu_threads
                            : static_cast<int>(std::thread::hardware_concurrency()));
  if (cuda) compat::configure_cuda_math(config.train.cudnn_benchmark, config.train.tf32);

  TrainStep step(config, device, command.num_classes);
  step.model()->train();
  const int64_t n = config.train.batch_size, size = config.data.img_size;
  // A fixed synthetic batch: what the loader would deliver, already on the device.
  auto make_batch = [&] {
    DeviceBatch b;
    b.images = at::randn({n, 3, size, size}, at::TensorOptions().device(device));
    if (step.channels_last()) b.images = b.images.contiguous(at::MemoryFormat::ChannelsLast);
    b.labels =
        at::randint(command.num_classes, {n}, at::TensorOptions().dtype(at::kLong).device(device));
    return b;
  };
  DeviceBatch batch = make_batch();
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };
  for (int i = 0; i < command.warmup_steps; ++i) {
    DeviceBatch b = batch;
    step.run(b, config.optim.lr, i);
  }
  sync();
  const auto start = std::chrono::steady_clock::now();
  at::Tensor loss;
  for (int i = 0; i < command.steps; ++i) {
    DeviceBatch b = batch;
    loss = step.run(b, config.optim.lr, command.warmup_steps + i).loss;
  }
  sync();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double images_per_second = n * command.steps / seconds;
  std::cout << str_printf(
                   "bench-model: arch=%s batch=%lld img_size=%lld precision=%s channels_last=%s "
                   "device=%s steps=%d ms_per_step=%.2f img_per_sec=%.1f loss=%.4f\n",
                   config.model.arch.c_str(), static_cast<long long>(n),
                   static_cast<long long>(size), to_string(config.train.precision).c_str(),
                   step.channels_last() ? "true" : "false", compat::describe_device(device).c_str(),
                   command.steps, 1000.0 * seconds / command.steps, images_per_second,
                   loss.item<double>())
            << std::flush;
  return 0;
}

}  // namespace imagenet
