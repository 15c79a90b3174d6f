// Which checkpoints to keep: Lightning's ModelCheckpoint rule (monitor val/acc1, mode max,
// save_top_k) and its file names (resnet50-epoch=07-val_acc1=0.6123.ckpt, -v1 on a clash).
// Pure bookkeeping: the caller writes and deletes the files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imagenet {

struct TopKEntry {
  std::string path;
  double score = 0.0;
  int64_t epoch = 0;
};

class TopKCheckpoints {
 public:
  /// k: -1 keeps all, 0 keeps none. `metric` names the score in file names (val_ema_acc1
  /// when monitor is val_ema/acc1).
  TopKCheckpoints(std::string directory, std::string prefix, int k,
                  std::string metric = "val_acc1");

  /// True when a checkpoint scoring `score` belongs among the best k (ties are not better,
  /// NaN scores count as -infinity, as in Lightning).
  bool should_save(double score) const;

  /// The file for a new checkpoint; `exists` says whether a name is taken.
  std::string path_for(int64_t epoch, double score, bool (*exists)(const std::string&)) const;

  /// Records a saved checkpoint and returns the files that fell out of the best k.
  std::vector<std::string> add(const TopKEntry& entry);

  /// Best first.
  const std::vector<TopKEntry>& entries() const { return entries_; }
  void restore(std::vector<TopKEntry> entries);

  /// Lightning's best_k_models.yaml: "path: score" per line.
  std::string to_yaml() const;

 private:
  std::string directory_;
  std::string prefix_;
  std::string metric_;
  int k_;
  std::vector<TopKEntry> entries_;  // sorted, best first
};

}  // namespace imagenet
