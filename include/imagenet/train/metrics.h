// Accuracy and loss bookkeeping. Sums stay on the training device (no host sync per step) and
// are read when a line is logged; validation metrics are exact counts, so they reduce across
// ranks without averaging averages.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/distributed/process_group.h"

namespace imagenet {

/// Number of samples whose label is within the top 1 and top 5 predictions: int64 [2].
at::Tensor topk_correct(const at::Tensor& logits, const at::Tensor& labels);

/// Running sums of one epoch (training or validation).
struct MetricSums {
  at::Tensor loss_sum;           ///< float64 [1]: sum of per-sample losses
  at::Tensor correct;            ///< int64 [2]: top-1 and top-5 hits
  int64_t loss_samples = 0;      ///< samples in loss_sum
  int64_t accuracy_samples = 0;  ///< samples counted in `correct` (unmixed batches only)

  explicit MetricSums(c10::Device device);
  void add_loss(const at::Tensor& mean_loss, int64_t samples);
  void add_accuracy(const at::Tensor& logits, const at::Tensor& labels);

  double mean_loss() const;  ///< NaN when empty
  double acc1() const;       ///< fraction in [0, 1]; NaN when nothing was counted
  double acc5() const;

  /// Sums the epoch's counts over the ranks of `group`, in place, with `extra` counts (bad
  /// samples, say) summed alongside: exact sums, not averages of averages (float64 holds counts
  /// exactly up to 2^53). A group of one leaves everything as it is.
  void sum_over_ranks(ProcessGroup& group, const std::vector<int64_t*>& extra = {});

  /// The sums of an interrupted epoch as a mid-epoch checkpoint keeps them, and back.
  void store(TrainingProgress& progress) const;
  void load(const TrainingProgress& progress);
};

/// Validation counts per class, for a per-class accuracy table: images, top-1 and top-5 hits
/// of each label, exact sums over the ranks.
struct ClassCounts {
  at::Tensor counts;  ///< int64 [classes, 3]: images, top-1 hits, top-5 hits; on the device

  ClassCounts(int64_t classes, c10::Device device);
  /// logits [N, C], labels [N] int64 (on the device of `counts`).
  void add(const at::Tensor& logits, const at::Tensor& labels);
  /// Sums the counts over the ranks of `group`, in place (a group of one changes nothing).
  void sum_over_ranks(ProcessGroup& group);
};

}  // namespace imagenet
