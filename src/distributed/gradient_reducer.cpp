// Implements distributed/gradient_reducer.h. The hooks are FunctionPostHooks on each
// parameter's AccumulateGrad node, the hook DDP's reducer uses; the same interface exists in
// LibTorch 1.13 and 2.x (LambdaPostHook's does not, hence our own subclass).
#include "imagenet/distributed/gradient_reducer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <map>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

/// Calls `on_ready` after the accumulator has added this step's gradient into .grad().
class GradientReadyHook : public torch::autograd::FunctionPostHook {
 public:
  explicit GradientReadyHook(std::function<void()> on_ready) : on_ready_(std::move(on_ready)) {}
  torch::autograd::variable_list operator()(
      const torch::autograd::variable_list& outputs,
      const torch::autograd::variable_list& /*inputs*/) override {
    on_ready_();
    return outputs;
  }

 private:
  std::function<void()> on_ready_;
};

/// DDP's assignment: walk the parameters backwards, close a bucket once it reaches its cap
/// (the first cap for the first bucket), one open bucket per dtype and device.
std::vector<std::vector<size_t>> assign_buckets(const std::vector<at::Tensor>& params,
                                                double first_cap_bytes, double cap_bytes) {
  struct Open {
    std::vector<size_t> params;
    double bytes = 0;
  };
  std::map<std::string, Open> open;
  std::vector<std::vector<size_t>> buckets;
  for (size_t k = params.size(); k-- > 0;) {
    const at::Tensor& p = params[k];
    const std::string key = str_cat(p.scalar_type(), "/", p.device().str());
    Open& bucket = open[key];
    bucket.params.push_back(k);
    bucket.bytes += static_cast<double>(p.numel() * p.element_size());
    if (bucket.bytes >= (buckets.empty() ? first_cap_bytes : cap_bytes)) {
      buckets.push_back(std::move(bucket.params));
      open.erase(key);
    }
  }
  for (auto& [key, bucket] : open) buckets.push_back(std::move(bucket.params));
  return buckets;
}

}  // namespace

GradientReducer::GradientReducer(std::shared_ptr<ProcessGroup> group,
                                 std::vector<at::Tensor> params, GradientReducerOptions options)
    : group_(std::move(group)), params_(std::move(params)), options_(options) {
  IMAGENET_CHECK(group_ != nullptr, "a GradientReducer needs a process group");
  IMAGENET_CHECK(!params_.empty(), "no parameters to reduce");
  bucket_params_ =
      assign_buckets(params_, options_.first_bucket_mb * kMiB, options_.bucket_mb * kMiB);

  // Flat buffers and each parameter's view into its bucket, with the parameter's strides (so
  // channels_last weights get channels_last gradients, as AccumulateGrad expects).
  views_.resize(params_.size());
  bucket_of_.resize(params_.size());
  for (size_t b = 0; b < bucket_params_.size(); ++b) {
    int64_t numel = 0;
    for (size_t k : bucket_params_[b]) numel += params_[k].numel();
    const at::Tensor& first = params_[bucket_params_[b].front()];
    at::Tensor flat = at::zeros({numel}, first.options().requires_grad(false));
    int64_t offset = 0;
    for (size_t k : bucket_params_[b]) {
      const at::Tensor& p = params_[k];
      IMAGENET_CHECK(p.is_non_overlapping_and_dense(), "parameter ", k,
                     " is not dense; it cannot live in a gradient bucket");
      views_[k] = flat.as_strided(p.sizes(), p.strides(), offset);
      bucket_of_[k] = b;
      offset += p.numel();
    }
    flat_.push_back(flat);
  }
  if (options_.grads_as_views) {
    at::NoGradGuard no_grad;
    for (size_t k = 0; k < params_.size(); ++k) {
      if (params_[k].grad().defined()) views_[k].copy_(params_[k].grad());
      params_[k].mutable_grad() = views_[k];
    }
  }

  ready_.assign(params_.size(), false);
  missing_.resize(bucket_params_.size());
  for (size_t b = 0; b < bucket_params_.size(); ++b) missing_[b] = bucket_params_[b].size();
  in_flight_.resize(bucket_params_.size());

  for (size_t k = 0; k < params_.size(); ++k) {
    std::shared_ptr<torch::autograd::Node> accumulator =
        torch::autograd::impl::grad_accumulator(params_[k]);
    IMAGENET_CHECK(accumulator != nullptr, "parameter ", k, " has no gradient accumulator");
    hook_keys_.push_back(accumulator->add_post_hook(
        std::make_unique<GradientReadyHook>([this, k] { mark_ready(k); })));
    accumulators_.push_back(std::move(accumulator));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t k = 0; k < accumulators_.size(); ++k) accumulators_[k]->del_post_hook(hook_keys_[k]);
}

void GradientReducer::mark_ready(size_t param) {
  // Runs on the autograd engine's thread, while backward goes on.
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_) {  // a micro-batch before the last of an accumulated step
    ++counts_.local_gradients;
    return;
  }
  if (ready_[param]) return;  // a second backward before finish_backward: counted once
  ready_[param] = true;
  const size_t bucket = bucket_of_[param];
  if (!options_.grads_as_views) {
    at::NoGradGuard no_grad;
    views_[param].copy_(params_[param].grad());
  }
  --missing_[bucket];
  if (!options_.overlap) return;
  // Start every complete bucket whose predecessors have started: the same order on all ranks.
  while (next_bucket_ < bucket_params_.size() && missing_[next_bucket_] == 0) {
    launch(next_bucket_++);
    ++launched_this_step_;
  }
}

void GradientReducer::launch(size_t bucket) {
  // Pre-divided, so the sum is the mean (exact for a power-of-two world size).
  flat_[bucket].div_(static_cast<double>(group_->size()));
  in_flight_[bucket] = group_->all_reduce_sum_async(flat_[bucket]);
}

void GradientReducer::finish_backward() {
  std::lock_guard<std::mutex> lock(mutex_);
  at::NoGradGuard no_grad;
  // Parameters that got no gradient this step contribute zeros.
  for (size_t k = 0; k < params_.size(); ++k)
    if (!ready_[k]) views_[k].zero_();
  while (next_bucket_ < bucket_params_.size()) launch(next_bucket_++);
  for (auto& work : in_flight_) {
    work.wait();
    work = PendingWork();
  }
  if (!options_.grads_as_views) {
    for (size_t k = 0; k < params_.size(); ++k) {
      if (params_[k].grad().defined()) {
        params_[k].mutable_grad().copy_(views_[k]);
      } else {
        params_[k].mutable_grad() = views_[k].clone();
      }
    }
  }
  // Ready for the next step.
  std::fill(ready_.begin(), ready_.end(), false);
  for (size_t b = 0; b < bucket_params_.size(); ++b) missing_[b] = bucket_params_[b].size();
  next_bucket_ = 0;
  launched_during_backward_ = launched_this_step_;
  launched_this_step_ = 0;
  ++counts_.all_reduces;
}

ReducerCounts GradientReducer::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

std::string GradientReducer::describe() const {
  double smallest = 1e300, largest = 0;
  int64_t total = 0;
  for (const auto& flat : flat_) {
    const double mib = static_cast<double>(flat.numel() * flat.element_size()) / kMiB;
    smallest = std::min(smallest, mib);
    largest = std::max(largest, mib);
    total += flat.numel();
  }
  return str_printf(
      "%zu gradient buckets (%.2f to %.2f MiB, cap %g MiB) for %.2fM parameters, "
      "%s, %s",
      flat_.size(), smallest, largest, options_.bucket_mb, total / 1e6,
      options_.grads_as_views ? "gradients as bucket views" : "copied into buckets",
      options_.overlap ? "all-reduce overlapped with backward" : "all-reduce after backward");
}

}  // namespace imagenet
