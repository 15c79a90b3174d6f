// Implements checkpoint/run_checkpoints.h.
#include "imagenet/checkpoint/run_checkpoints.h"

#include <unistd.h>

#include <memory>
#include <utility>

#include "imagenet/util/fs.h"

namespace imagenet {

RunCheckpoints::RunCheckpoints(std::string checkpoints_dir, std::string prefix, int save_top_k,
                               std::string metric)
    : dir_(std::move(checkpoints_dir)),
      top_k_(dir_, std::move(prefix), save_top_k, std::move(metric)) {
  save_options_.test_pause_seconds = checkpoint_test_pause_from_env();
}

void RunCheckpoints::restore(std::vector<TopKEntry> top_k, std::string resumed_from) {
  top_k_.restore(std::move(top_k));
  resumed_from_ = std::move(resumed_from);
}

void RunCheckpoints::save_epoch(int64_t epoch, double score, CheckpointData data) {
  wait();
  ensure_directory(dir_);
  std::string top_k_path;
  std::vector<std::string> dropped;
  if (top_k_.should_save(score)) {
    top_k_path = top_k_.path_for(epoch, score, [](const std::string& p) { return path_exists(p); });
    dropped = top_k_.add({top_k_path, score, epoch});
  }
  data.top_k = top_k_.entries();
  const std::string last = last_path();
  save_checkpoint(last, data, save_options_);
  if (!top_k_path.empty() && ::link(last.c_str(), top_k_path.c_str()) != 0)
    save_checkpoint(top_k_path, data,
                    save_options_);  // no hard links on this file system: a second copy
  for (const auto& path : dropped) {
    // Never the checkpoint this run started from, nor a file outside this run's folder.
    if (path == resumed_from_ || path.rfind(dir_ + "/", 0) != 0) continue;
    remove_file(path);
  }
  write_file_atomic(dir_ + "/best_k_models.yaml", top_k_.to_yaml());
}

void RunCheckpoints::save_last(CheckpointData data) {
  wait();
  ensure_directory(dir_);
  data.top_k = top_k_.entries();
  save_checkpoint(last_path(), data, save_options_);
}

bool RunCheckpoints::save_last_in_background(const CheckpointData& data) {
  if (writer_.busy()) return false;
  ensure_directory(dir_);
  // The copy is made here, on the training thread: the step goes on changing the originals.
  auto copy = std::make_shared<CheckpointData>(copy_checkpoint_to_cpu(data));
  copy->top_k = top_k_.entries();
  return writer_.start([copy, path = last_path(), options = save_options_] {
    save_checkpoint(path, *copy, options);
  });
}

void RunCheckpoints::wait() {
  writer_.wait();
}

int RunCheckpoints::remove_stale_files() {
  return is_directory(dir_) ? remove_stale_temporary_files(dir_) : 0;
}

}  // namespace imagenet
