// Tests distributed/process_group over loopback Gloo (ranks as threads): the collectives, the
// stop agreement, and the failures: a rank that never arrives, a store nobody hosts, a rank
// that leaves mid-run and one that stops answering. Each must end in a RuntimeError that says
// what happened, within the timeout, never a hang.
#include "imagenet/distributed/process_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <thread>

#include "imagenet/util/error.h"
#include "ranks.h"

namespace imagenet {
namespace {

using testing::loopback_options;
using testing::run_ranks;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RuntimeError& e) {
    return e.what();
  }
  return "";
}

TEST(ProcessGroup, Collectives) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  run_ranks(3, [](int rank, ProcessGroup& group) {
    EXPECT_EQ(group.rank(), rank);
    EXPECT_EQ(group.size(), 3);
    EXPECT_EQ(group.backend_name(), "gloo");

    at::Tensor a = torch::full({4}, rank + 1.0);
    at::Tensor b = torch::full({2, 2}, 10.0 * rank).contiguous(at::MemoryFormat::Contiguous);
    group.all_reduce_sum({a, b});
    EXPECT_TRUE(torch::equal(a, torch::full({4}, 6.0)));
    EXPECT_TRUE(torch::equal(b, torch::full({2, 2}, 30.0)));

    at::Tensor c = torch::full({3}, static_cast<int64_t>(rank), torch::kLong);
    PendingWork work = group.all_reduce_sum_async(c);
    work.wait();
    EXPECT_EQ(c[0].item<int64_t>(), 3);

    at::Tensor d = torch::full({5}, rank == 1 ? 7.0 : -1.0);
    group.broadcast({d}, /*root=*/1);
    EXPECT_TRUE(torch::equal(d, torch::full({5}, 7.0)));

    std::vector<at::Tensor> rows = group.all_gather(torch::full({2}, 100.0 + rank));
    ASSERT_EQ(rows.size(), 3u);
    for (int r = 0; r < 3; ++r) EXPECT_EQ(rows[r][1].item<double>(), 100.0 + r);
    group.barrier();
  });
}

TEST(ProcessGroup, RanksAgreeOnTheStepToStopAfter) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  std::vector<std::vector<int>> seen(2);
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    for (int64_t steps = 1; steps <= 8; ++steps) {
      group.barrier();  // stands in for the step's gradient all-reduce
      // Rank 1 gets SIGTERM after step 5; rank 0 gets SIGINT later, which comes second.
      int local = (rank == 1 && steps >= 5) ? 15 : (rank == 0 && steps >= 7 ? 2 : 0);
      seen[rank].push_back(group.agree_stop(steps, local));
    }
  });
  const std::vector<int> expected{0, 0, 0, 0, 0, 15, 15, 15};
  EXPECT_EQ(seen[0], expected);
  EXPECT_EQ(seen[1], expected);
}

TEST(ProcessGroup, RanksAgreeOnEachPeriodicCheckpointStep) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  std::vector<std::vector<int64_t>> seen(2);
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    int64_t last = 0;
    for (int64_t steps = 1; steps <= 10; ++steps) {
      group.barrier();  // stands in for the step's gradient all-reduce
      // Rank 0's clock says "due" 3 steps after the last checkpoint, until one is agreed.
      const bool due = rank == 0 && steps - last >= 3;
      if (group.agree_checkpoint(steps, due)) {
        seen[rank].push_back(steps);
        last = steps;
      }
    }
  });
  const std::vector<int64_t> expected{4, 8};
  EXPECT_EQ(seen[0], expected);
  EXPECT_EQ(seen[1], expected);
}

TEST(ProcessGroup, ARankThatNeverArrivesEndsTheRendezvous) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  ProcessGroupOptions o = loopback_options(0, 2, find_free_port(), std::chrono::seconds(1));
  std::string message = error_of([&] { ProcessGroup group(o); });
  EXPECT_NE(message.find("rendezvous failed on rank 0 of 2: only 1 of 2 ranks arrived"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("within dist_timeout (1 s)"), std::string::npos) << message;
}

TEST(ProcessGroup, AStoreNobodyHostsIsReportedWithItsAddress) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  const int port = find_free_port();
  ProcessGroupOptions o = loopback_options(1, 2, port, std::chrono::seconds(1));
  std::string message = error_of([&] { ProcessGroup group(o); });
  EXPECT_NE(message.find("could not reach rank 0's store at MASTER_ADDR:MASTER_PORT = 127.0.0.1:" +
                         std::to_string(port)),
            std::string::npos)
      << message;
}

TEST(ProcessGroup, RanksMayStartInAnyOrder) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  // Rank 1 starts first and retries until rank 0 hosts the store.
  const int port = find_free_port();
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ProcessGroup group(loopback_options(0, 2, port, std::chrono::seconds(20)));
    group.barrier();
  });
  ProcessGroup group(loopback_options(1, 2, port, std::chrono::seconds(20)));
  group.barrier();
  late.join();
}

TEST(ProcessGroup, ARankThatLeavesFailsTheOthersCollectives) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  std::string message;
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    group.barrier();
    if (rank == 1) return;  // its group is destroyed: its connections close, as in a crash
    message = error_of([&] {
      for (int i = 0; i < 100; ++i) group.all_reduce_sum({torch::ones({1000})});
    });
  });
  EXPECT_NE(message.find("all-reduce failed on rank 0 of 2 (gloo)"), std::string::npos) << message;
  EXPECT_NE(message.find("Another rank probably stopped"), std::string::npos) << message;
}

TEST(ProcessGroup, ARankThatStopsAnsweringTimesOut) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  std::string message;
  std::atomic<bool> rank0_done{false};
  run_ranks(
      2,
      [&](int rank, ProcessGroup& group) {
        group.barrier();
        if (rank == 1) {
          // Alive but stuck: never joins the next collective (until rank 0 gave up).
          while (!rank0_done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          return;
        }
        message = error_of([&] { group.all_reduce_sum({torch::ones({10})}); });
        rank0_done.store(true);
      },
      std::chrono::seconds(3));
  EXPECT_NE(message.find("all-reduce failed on rank 0 of 2"), std::string::npos) << message;
  EXPECT_NE(message.find("dist_timeout (3 s)"), std::string::npos) << message;
}

}  // namespace
}  // namespace imagenet
