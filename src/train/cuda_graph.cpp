// Implements train/cuda_graph.h over at::cuda::CUDAGraph; a CPU build only says it cannot.
#include "imagenet/train/cuda_graph.h"

#include <torch/version.h>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

#if defined(IMAGENET_WITH_CUDA) && \
    (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1))
#define IMAGENET_CUDA_GRAPHS 1
#else
#define IMAGENET_CUDA_GRAPHS 0
#endif

#if IMAGENET_CUDA_GRAPHS
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace imagenet {

#if IMAGENET_CUDA_GRAPHS

struct CudaGraph::Impl {
  at::cuda::CUDAGraph graph;
  bool captured = false;
};

std::string CudaGraph::unavailable_reason() {
  return "";
}

CudaGraph::CudaGraph() : impl_(std::make_unique<Impl>()) {}
CudaGraph::~CudaGraph() = default;

void CudaGraph::capture(const std::function<void()>& body) {
  IMAGENET_CHECK(!impl_->captured, "this CUDA graph is captured already");
  // As torch.cuda.graph: nothing enqueued before crosses into the capture.
  c10::cuda::device_synchronize();
  c10::cuda::CUDAStreamGuard on_side_stream(c10::cuda::getStreamFromPool());
  // Thread-local capture mode: the loader's threads may wait for copy events meanwhile, which
  // a global capture would count as an error of the capture.
  impl_->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
  try {
    body();
  } catch (const std::exception& e) {
    try {
      impl_->graph.capture_end();
    } catch (const std::exception&) {
      // The capture is void either way; the first error is the one to report.
    }
    throw RuntimeError(str_cat("CUDA graph capture failed: ", e.what()));
  }
  try {
    impl_->graph.capture_end();
  } catch (const std::exception& e) {
    throw RuntimeError(str_cat("CUDA graph capture failed: ", e.what()));
  }
  impl_->captured = true;
}

void CudaGraph::replay() {
  IMAGENET_CHECK(impl_->captured, "CudaGraph::replay before a capture");
  impl_->graph.replay();
}

bool CudaGraph::captured() const {
  return impl_->captured;
}

#else  // no CUDA graphs in this build

struct CudaGraph::Impl {};

std::string CudaGraph::unavailable_reason() {
#ifdef IMAGENET_WITH_CUDA
  return "this LibTorch is older than 2.1";
#else
  return "this LibTorch was built without CUDA";
#endif
}

CudaGraph::CudaGraph() = default;
CudaGraph::~CudaGraph() = default;

void CudaGraph::capture(const std::function<void()>&) {
  throw RuntimeError(str_cat("cannot capture a CUDA graph: ", unavailable_reason()));
}

void CudaGraph::replay() {
  throw RuntimeError("CudaGraph::replay before a capture");
}

bool CudaGraph::captured() const {
  return false;
}

#endif

}  // namespace imagenet
