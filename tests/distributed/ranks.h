// Test helper: runs a function as each rank of a process group, one thread per rank in this
// process, connected over loopback like separate processes would be.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "imagenet/distributed/launcher.h"
#include "imagenet/distributed/process_group.h"

/// Tests that need Gloo (collectives on the CPU) skip where LibTorch has no Gloo headers (pip
/// wheels, whose builds use NCCL).
#define IMAGENET_SKIP_WITHOUT_GLOO() \
  if (!::imagenet::gloo_available()) GTEST_SKIP() << "this LibTorch ships no Gloo headers"

namespace imagenet::testing {

inline ProcessGroupOptions loopback_options(int rank, int world, int port,
                                            std::chrono::milliseconds timeout,
                                            c10::Device device = c10::Device(c10::kCPU)) {
  ProcessGroupOptions o;
  o.rank = rank;
  o.world_size = world;
  o.master_addr = "127.0.0.1";
  o.master_port = port;
  o.timeout = timeout;
  o.device = device;
  o.backend = DistBackend::kGloo;  // several ranks may share one GPU with Gloo, not with NCCL
  return o;
}

/// Calls fn(rank, group) on `world` threads; rethrows the first exception of any rank.
inline void run_ranks(int world, const std::function<void(int, ProcessGroup&)>& fn,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30),
                      c10::Device device = c10::Device(c10::kCPU)) {
  const int port = find_free_port();
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        ProcessGroup group(loopback_options(rank, world, port, timeout, device));
        fn(rank, group);
      } catch (...) {
        errors[rank] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace imagenet::testing
