// Evaluation of a model on a loader's batches (the validation set): loss, top-1 and top-5
// accuracy as exact sums over every rank's share of the images. The Trainer validates with it
// after each epoch; commands that only evaluate use it the same way.
#pragma once

#include "imagenet/config/config.h"
#include "imagenet/data/batch_loader.h"
#include "imagenet/distributed/process_group.h"
#include "imagenet/model/resnet.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/train/metrics.h"

namespace imagenet {

struct EvaluationOptions {
  Precision precision = Precision::kFloat32;  ///< autocast of the forward, as in training
  int log_every_n_steps = 50;                 ///< the progress line's plain-text rhythm
};

/// Runs `model` in eval mode (no gradients) over one epoch of `loader`, each batch moved to the
/// device by `transfer`, and returns the sums of loss and top-k hits over all ranks of `group`
/// (a collective: every rank calls it). With `per_class` (sized for the model's classes, on the
/// device) the hits of each label are counted too, and summed over the ranks as well.
MetricSums evaluate(ResNet& model, BatchLoader& loader, BatchTransfer& transfer,
                    ProcessGroup& group, const EvaluationOptions& options,
                    ClassCounts* per_class = nullptr);

}  // namespace imagenet
