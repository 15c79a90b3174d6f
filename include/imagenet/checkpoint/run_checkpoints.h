// The checkpoint files of a run folder, as Lightning's ModelCheckpoint keeps them: last.ckpt
// after every epoch (and at a stop mid-epoch), the save_top_k best by val/acc1 as hard links to
// the same bytes (a second copy where the file system has no hard links), and
// best_k_models.yaml. Every file is written atomically; only rank 0 writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/checkpoint_writer.h"
#include "imagenet/checkpoint/top_k.h"

namespace imagenet {

class RunCheckpoints {
 public:
  /// `prefix` starts the top-k names ("resnet50-epoch=07-val_acc1=0.6123.ckpt").
  /// `metric` names the ranked score in them (top_k.h). Reads the test hook
  /// IMAGENET_TEST_CHECKPOINT_PAUSE_MS (checkpoint.h).
  RunCheckpoints(std::string checkpoints_dir, std::string prefix, int save_top_k,
                 std::string metric = "val_acc1");

  /// Continues a run: its top-k table, and the file it resumed from, which is never deleted.
  void restore(std::vector<TopKEntry> top_k, std::string resumed_from);

  /// The end of an epoch scoring `score`: last.ckpt (whose data.top_k is the table with this
  /// epoch in it), a top-k file when it ranks, the files that fell out removed, the yaml
  /// rewritten.
  void save_epoch(int64_t epoch, double score, CheckpointData data);

  /// last.ckpt alone (a stop mid-epoch), after any background write.
  void save_last(CheckpointData data);

  /// last.ckpt alone, written on the writer's thread from a CPU copy of `data` made now (a
  /// periodic checkpoint). Returns false, writing nothing, while the previous background write
  /// is still in flight. Rethrows the failure of the previous background write.
  bool save_last_in_background(const CheckpointData& data);

  /// Waits for a background write; rethrows its failure (a full disk...). Every other save
  /// waits first, so writes never overlap.
  void wait();

  /// Removes what a killed process left in the folder: temporary files of atomic writes.
  /// Returns how many.
  int remove_stale_files();

  /// Best first.
  const std::vector<TopKEntry>& top_k() const { return top_k_.entries(); }
  std::string last_path() const { return dir_ + "/last.ckpt"; }

 private:
  std::string dir_;
  TopKCheckpoints top_k_;
  std::string resumed_from_;
  CheckpointSaveOptions save_options_;
  CheckpointWriter writer_;  // last: its destructor waits for a write that uses the above
};

}  // namespace imagenet
