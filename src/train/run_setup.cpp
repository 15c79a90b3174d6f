// Implements train/run_setup.h.
#include "imagenet/train/run_setup.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

#include "imagenet/train/torch_compat.h"
#include "imagenet/util/error.h"

namespace imagenet {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
  std::signal(signal, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

std::string file_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%d-%H%M%S", &tm);
  return buffer;
}

c10::Device resolve_device(const Config& config) {
  const bool cuda = compat::cuda_available();
  switch (config.train.accelerator) {
    case Accelerator::kCpu:
      return c10::Device(c10::kCPU);
    case Accelerator::kCuda:
      if (!cuda)
        throw UsageError(str_cat(config.origin_of("accelerator"),
                                 ": accelerator: cuda, but no CUDA GPU is visible (this build: ",
                                 compat::build_description(), "). Use accelerator: cpu or auto."));
      return c10::Device(c10::kCUDA, 0);
    case Accelerator::kAuto:
      break;
  }
  return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
}

void check_precision(const Config& config, const c10::Device& device) {
  if (config.train.precision == Precision::kFloat16Mixed && !device.is_cuda())
    throw UsageError(str_cat(config.origin_of("precision"),
                             ": precision 16-mixed needs a CUDA GPU (float16 autocast and its "
                             "loss scaler); on the CPU use 32 or bf16-mixed."));
}

int configure_cpu_threads(const Config& config, int processes_on_node) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = config.train.cpu_threads > 0
                          ? config.train.cpu_threads
                          : std::max(1, cores / std::max(1, processes_on_node));
  at::set_num_threads(threads);
  return threads;
}

void install_stop_signal_handlers() {
  g_stop_signal.store(0);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

void restore_default_signal_handlers() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int stop_signal_received() {
  return g_stop_signal.load();
}

}  // namespace imagenet
