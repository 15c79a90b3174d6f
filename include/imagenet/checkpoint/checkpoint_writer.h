// Checkpoint writes off the training thread. The caller copies the state into CPU memory
// (copy_checkpoint_to_cpu: on a GPU the only part the step waits for); pickling, writing, fsync
// and rename then run on a thread of their own, at most one write at a time, so that a periodic
// checkpoint does not stall the training step for the disk.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "imagenet/checkpoint/checkpoint.h"

namespace imagenet {

/// Every tensor of `data` copied to CPU memory now (training goes on changing the originals):
/// what a background write may read while the next steps run.
CheckpointData copy_checkpoint_to_cpu(const CheckpointData& data);

class CheckpointWriter {
 public:
  CheckpointWriter() = default;
  /// Waits for the write in flight; its failure is logged (a destructor cannot throw).
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  /// Runs `write` on the writer's thread, unless a write is still in flight: then nothing is
  /// started and it returns false (at most one write in flight; the caller skips this one).
  /// First rethrows the failure of the previous write, if any: a run must not go on as if it
  /// had a checkpoint it has not.
  bool start(std::function<void()> write);

  /// Waits for the write in flight, then rethrows its failure, if any.
  void wait();

  /// True while a write runs.
  bool busy() const;

 private:
  void collect();  // joins a finished thread and rethrows its failure

  mutable std::mutex mutex_;
  std::thread thread_;
  bool running_ = false;        // guarded by mutex_
  std::exception_ptr failure_;  // guarded by mutex_
};

}  // namespace imagenet
