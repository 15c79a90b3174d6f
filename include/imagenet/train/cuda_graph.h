// A CUDA graph: the GPU work a piece of code enqueues, recorded once and replayed with one
// launch (compile_model: true captures the training step so). CUDA builds of LibTorch >= 2.1.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace imagenet {

class CudaGraph {
 public:
  /// Empty when this build can capture CUDA graphs, else why not.
  static std::string unavailable_reason();

  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  /// Records what `body` enqueues on the GPU, without running it, on a side stream and with a
  /// memory pool of the graph's own (tensors `body` allocates keep their addresses for every
  /// replay). Throws RuntimeError with the reason when capture fails: work that waits for the
  /// host (.item(), a synchronize) cannot be captured.
  void capture(const std::function<void()>& body);
  /// Runs the recorded work on the current stream.
  void replay();
  bool captured() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace imagenet
