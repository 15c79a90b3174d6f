// Checkpoints: everything a run needs to continue (model, momentum buffers, loss scaler,
// progress through the epoch, the top-k table, the resolved config), written atomically
// (temporary file, fsync, rename). The file is a pickled dict in the zip format of torch.save,
// so Python reads it with torch.load, and its "state_dict" loads into torchvision's ResNet.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "imagenet/checkpoint/top_k.h"

namespace imagenet {

/// Where training stands; at an epoch boundary batch_in_epoch is 0 and `epoch` is the next one.
struct TrainingProgress {
  int64_t epoch = 0;
  int64_t batch_in_epoch = 0;  ///< batches of `epoch` already trained (a mid-epoch checkpoint)
  /// Processes that trained it: batch_in_epoch counts batches of each rank's share, so a run
  /// resumed mid-epoch needs as many (1 for checkpoints written before this was recorded).
  int64_t world_size = 1;
  int64_t global_step = 0;  ///< optimizer steps so far
  /// Partial sums of the epoch in progress (mid-epoch checkpoints only).
  double loss_sum = 0.0;
  int64_t loss_samples = 0;
  int64_t correct1 = 0;
  int64_t correct5 = 0;
  int64_t accuracy_samples = 0;
};

struct CheckpointData {
  std::string version;      ///< imagenet_train version that wrote it
  std::string config_yaml;  ///< the resolved config of the run
  std::string arch;
  int64_t num_classes = 0;
  std::vector<std::string> classes;
  TrainingProgress progress;
  std::vector<TopKEntry> top_k;
  std::map<std::string, double> metrics;  ///< the last epoch's metrics
  double lr = 0.0;
  /// Model parameters and buffers by torchvision name (CPU tensors).
  std::map<std::string, at::Tensor> state_dict;
  std::map<std::string, at::Tensor> momentum;  ///< SGD's buffers by parameter name
  /// AdamW's or LAMB's Optimizer::state() ("exp_avg.<name>", ...); empty with SGD.
  std::map<std::string, at::Tensor> optimizer_state;
  /// model_ema: the averaged weights by torchvision name ("state_dict_ema"), and its updates.
  std::map<std::string, at::Tensor> state_dict_ema;
  int64_t ema_updates = 0;
  at::Tensor scaler_scale;  ///< undefined without a loss scaler
  at::Tensor scaler_growth_tracker;
};

/// Writes `data` to `path` atomically; a crash leaves the previous file intact. Throws
/// RuntimeError naming the path when the file system has less free space than the file needs
/// (checked before writing, where statvfs knows) or the write fails (ENOSPC, EDQUOT, EIO, a
/// read-only folder): the previous file is intact then, and no temporary file is left.
struct CheckpointSaveOptions {
  /// Tests only (IMAGENET_TEST_CHECKPOINT_PAUSE_MS): a pause after the free-space check and one
  /// after the temporary file is written, each announced in the log, so that a test can fill
  /// the disk or kill the process at exactly those moments.
  double test_pause_seconds = 0;
};

void save_checkpoint(const std::string& path, const CheckpointData& data,
                     const CheckpointSaveOptions& options = {});

/// The pause IMAGENET_TEST_CHECKPOINT_PAUSE_MS asks for, in seconds (0 when unset). Throws
/// UsageError when it is not a number of milliseconds.
double checkpoint_test_pause_from_env();

/// Reads a checkpoint written by save_checkpoint. Throws UsageError when the file is missing or
/// is not such a checkpoint.
CheckpointData load_checkpoint(const std::string& path);

}  // namespace imagenet
