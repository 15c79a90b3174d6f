// The ranks of a run and the collectives between them (all-reduce, broadcast, all-gather,
// barrier) on c10d's Gloo (CPU) or NCCL (CUDA) backend, after a TCPStore rendezvous. Every
// collective and the rendezvous time out after dist_timeout with an error that says what
// happened. A run of one process gets a group of one (ProcessGroup::single_process) whose
// collectives return at once, so code that runs on every rank needs no single-process branch.
// c10d appears only in src/distributed; this header needs ATen alone.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace imagenet {

enum class DistBackend { kAuto, kGloo, kNccl };

struct ProcessGroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  /// torchrun's agent hosts the store: rank 0 connects as a client too, under store_prefix.
  bool agent_store = false;
  std::string store_prefix;
  /// Rendezvous and every collective give up after this long.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  /// Where the tensors live; auto picks NCCL for CUDA and Gloo for the CPU.
  c10::Device device{c10::kCPU};
  DistBackend backend = DistBackend::kAuto;
  /// GLOO_SOCKET_IFNAME (comma-separated interfaces), or "".
  std::string gloo_interfaces;
  /// Several machines: Gloo listens on this machine's address rather than on loopback.
  bool multi_node = false;
};

/// A collective in flight; wait() before reading or writing its tensors.
/// False when this LibTorch ships no Gloo headers (pip wheels): then only NCCL can be used.
bool gloo_available();

class PendingWork {
 public:
  PendingWork() = default;
  /// Blocks until the collective is done; throws RuntimeError when it failed or timed out.
  void wait();
  bool defined() const { return impl_ != nullptr; }

 private:
  friend class ProcessGroup;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

class ProcessGroup {
 public:
  /// Meets the other ranks through a TCPStore at master_addr:master_port (hosted by rank 0,
  /// or by torchrun's agent) and connects the backend. Throws RuntimeError naming the address
  /// and the timeout when a rank cannot reach the store or the others do not arrive in time.
  explicit ProcessGroup(const ProcessGroupOptions& options);
  ~ProcessGroup();

  /// The group of a single process, with no backend: a sum, broadcast or gather over one rank
  /// leaves the tensors as they are, a barrier returns at once, and agree_stop returns this
  /// process's own signal.
  static std::shared_ptr<ProcessGroup> single_process(c10::Device device);
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int size() const;
  /// "gloo" or "nccl"; "none" for single_process().
  std::string backend_name() const;
  /// False for single_process(): there are no other ranks to talk to. A Gloo or NCCL group of
  /// one rank (strategy: ddp on one process) is distributed.
  bool distributed() const;
  const ProcessGroupOptions& options() const;

  /// Sums every tensor across ranks, in place (blocking).
  void all_reduce_sum(std::vector<at::Tensor> tensors);
  /// Starts summing `tensor` across ranks in place; collectives run in the order they are
  /// started, which must be the same on every rank.
  PendingWork all_reduce_sum_async(at::Tensor tensor);
  /// Copies rank `root`'s tensors into every rank's, in place.
  void broadcast(std::vector<at::Tensor> tensors, int root = 0);
  /// Every rank's `tensor` (the same shape on all ranks), in rank order.
  std::vector<at::Tensor> all_gather(const at::Tensor& tensor);
  /// Returns once every rank has called it. A one-element all-reduce: NCCL's own barrier
  /// guesses the device.
  void barrier();

  /// Agrees on when to stop after a signal (Ctrl-C, SIGTERM), so every rank stops after the
  /// same step: called after each step with the steps done so far and this rank's signal (0:
  /// none), it returns the signal once `steps` reaches the agreed step, else 0. The first rank
  /// that sees a signal proposes steps + 1 through the store; no rank can have finished that
  /// step yet, because it needs this rank's next gradient all-reduce.
  int agree_stop(int64_t steps, int local_signal);

  /// The same agreement for periodic checkpoints, again and again: a rank whose clock says one
  /// is due (`local_due`) proposes steps + 1; every rank returns true after that step, once.
  bool agree_checkpoint(int64_t steps, bool local_due);

 private:
  struct Impl;
  ProcessGroup() = default;
  static void wait_for_ranks(Impl& impl, const std::string& where);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imagenet
