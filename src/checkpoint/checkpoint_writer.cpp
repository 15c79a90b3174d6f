// Implements checkpoint/checkpoint_writer.h: one std::thread per write, joined before the next.
#include "imagenet/checkpoint/checkpoint_writer.h"

#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::map<std::string, at::Tensor> copy_to_cpu(const std::map<std::string, at::Tensor>& tensors) {
  std::map<std::string, at::Tensor> out;
  // clone() on the CPU, a copy off the device otherwise: either way new memory.
  for (const auto& [name, t] : tensors)
    out[name] = t.device().is_cpu() ? t.detach().clone() : t.detach().to(at::kCPU);
  return out;
}

at::Tensor copy_to_cpu(const at::Tensor& t) {
  if (!t.defined()) return t;
  return t.device().is_cpu() ? t.detach().clone() : t.detach().to(at::kCPU);
}

}  // namespace

CheckpointData copy_checkpoint_to_cpu(const CheckpointData& data) {
  CheckpointData out = data;  // strings and numbers; the tensors are replaced below
  out.state_dict = copy_to_cpu(data.state_dict);
  out.momentum = copy_to_cpu(data.momentum);
  out.optimizer_state = copy_to_cpu(data.optimizer_state);
  out.state_dict_ema = copy_to_cpu(data.state_dict_ema);
  out.scaler_scale = copy_to_cpu(data.scaler_scale);
  out.scaler_growth_tracker = copy_to_cpu(data.scaler_growth_tracker);
  return out;
}

CheckpointWriter::~CheckpointWriter() {
  try {
    wait();
  } catch (const std::exception& e) {
    log_error(str_cat("a checkpoint write failed: ", e.what()));
  }
}

bool CheckpointWriter::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void CheckpointWriter::collect() {
  if (thread_.joinable()) thread_.join();
  std::exception_ptr failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure = failure_;
    failure_ = nullptr;
  }
  if (failure) std::rethrow_exception(failure);
}

bool CheckpointWriter::start(std::function<void()> write) {
  if (busy()) return false;
  collect();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = true;
  }
  thread_ = std::thread([this, write = std::move(write)] {
    std::exception_ptr failure;
    try {
      write();
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = failure;
    running_ = false;
  });
  return true;
}

void CheckpointWriter::wait() {
  collect();
}

}  // namespace imagenet
