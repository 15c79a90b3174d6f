// The gradient all-reduce of data-parallel training, built as PyTorch's DDP reducer builds it:
// parameters in buckets of about 25 MB, in reverse registration order (the order backward
// produces their gradients); a post-hook on each parameter's gradient accumulator marks it
// ready, and a bucket's all-reduce starts as soon as its last gradient is in, while backward
// still runs. Buckets start in the same order on every rank; gradients are pre-divided by the
// world size, so after finish_backward() every rank holds the mean gradient.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "imagenet/distributed/process_group.h"

namespace torch::autograd {
struct Node;
}  // namespace torch::autograd

namespace imagenet {

struct GradientReducerOptions {
  double bucket_mb = 25.0;       ///< bucket size cap in MiB (DDP's bucket_cap_mb)
  double first_bucket_mb = 1.0;  ///< the first bucket (the last layers) is small, to start early
  /// true: every parameter's .grad() is a view into its bucket, so backward accumulates straight
  /// into the buffer that is all-reduced (no copies). false: copy into the bucket when a
  /// gradient is ready and back after the all-reduce.
  bool grads_as_views = true;
  /// false: start every all-reduce after backward (the reference the overlap is measured
  /// against); hooks then only count.
  bool overlap = true;
};

/// What a GradientReducer did, counted since it was made.
struct ReducerCounts {
  int64_t all_reduces = 0;      ///< finish_backward calls: each all-reduced every bucket once
  int64_t local_gradients = 0;  ///< parameter gradients that came in with sync off (no_sync)
};

class GradientReducer {
 public:
  /// `params`: the trainable parameters in registration order, the same on every rank. With
  /// grads_as_views, their gradients become views into the buckets (their values are kept).
  GradientReducer(std::shared_ptr<ProcessGroup> group, std::vector<at::Tensor> params,
                  GradientReducerOptions options = {});
  /// Removes the hooks.
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// Called after backward: starts the buckets whose gradients never came (unused parameters
  /// contribute zeros) and waits for every bucket. Gradients are then the mean over ranks.
  void finish_backward();

  /// false: the following backwards mark no gradient ready and start no all-reduce; the
  /// gradients add up locally (DDP's no_sync, for gradient accumulation). true again before
  /// the backward whose gradients are to be all-reduced.
  void set_sync(bool sync) { sync_ = sync; }

  /// Parameter indices of each bucket, in the order the buckets are all-reduced.
  const std::vector<std::vector<size_t>>& bucket_params() const { return bucket_params_; }
  /// The all-reduces so far and the gradients kept local; a test reads that an accumulated
  /// step all-reduces once, after its last micro-batch.
  ReducerCounts counts() const;
  /// Buckets whose all-reduce started inside the last backward (the rest started after it).
  int launched_during_backward() const { return launched_during_backward_; }
  /// "5 buckets (0.1 to 24.0 MiB) for 11.2M parameters, gradients as bucket views, overlapped".
  std::string describe() const;

 private:
  void mark_ready(size_t param);
  void launch(size_t bucket);

  std::shared_ptr<ProcessGroup> group_;
  std::vector<at::Tensor> params_;
  GradientReducerOptions options_;

  // Buckets: flat buffers, the views of their parameters, and the state of this step.
  std::vector<std::vector<size_t>> bucket_params_;
  std::vector<at::Tensor> flat_;        // [numel] per bucket
  std::vector<at::Tensor> views_;       // per parameter: its slice of its bucket, its strides
  std::vector<size_t> bucket_of_;       // per parameter
  std::vector<bool> ready_;             // per parameter, this step
  std::vector<size_t> missing_;         // per bucket: parameters not ready yet this step
  std::vector<PendingWork> in_flight_;  // per bucket
  size_t next_bucket_ = 0;              // buckets start strictly in order
  bool sync_ = true;                    // false: hooks ignore gradients (set_sync)
  int launched_this_step_ = 0;
  int launched_during_backward_ = 0;  // of the last finished step
  ReducerCounts counts_;
  mutable std::mutex mutex_;

  // The gradient accumulators and the keys of our hooks on them. The accumulators must be
  // kept alive: a parameter holds its accumulator only weakly.
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hook_keys_;
};

}  // namespace imagenet
