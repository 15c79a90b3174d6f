// Tests checkpoint/checkpoint_writer: copies independent of the live tensors, at most one write
// in flight, failures that reach the training thread, and a written file that loads.
#include "imagenet/checkpoint/checkpoint_writer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <future>

#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

CheckpointData small_checkpoint() {
  CheckpointData d;
  d.version = "test";
  d.arch = "resnet18";
  d.config_yaml = "lr: 0.1\n";
  d.state_dict = {{"fc.weight", torch::arange(6, torch::kFloat).reshape({2, 3})}};
  d.momentum = {{"fc.weight", torch::ones({2, 3})}};
  return d;
}

TEST(CheckpointWriter, TheCopyDoesNotChangeWhenTrainingGoesOn) {
  CheckpointData live = small_checkpoint();
  CheckpointData copy = copy_checkpoint_to_cpu(live);
  live.state_dict.at("fc.weight").add_(100);  // the optimizer's next in-place update
  live.momentum.at("fc.weight").zero_();
  EXPECT_EQ(copy.state_dict.at("fc.weight")[1][2].item<float>(), 5.0f);
  EXPECT_EQ(copy.momentum.at("fc.weight")[0][0].item<float>(), 1.0f);
  EXPECT_EQ(copy.config_yaml, "lr: 0.1\n");
}

TEST(CheckpointWriter, AtMostOneWriteInFlight) {
  CheckpointWriter writer;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  int writes = 0;
  ASSERT_TRUE(writer.start([&] {
    released.wait();
    ++writes;
  }));
  EXPECT_TRUE(writer.busy());
  EXPECT_FALSE(writer.start([&] { ++writes; }));  // skipped: one is in flight
  release.set_value();
  writer.wait();
  EXPECT_FALSE(writer.busy());
  EXPECT_EQ(writes, 1);
  ASSERT_TRUE(writer.start([&] { ++writes; }));
  writer.wait();
  EXPECT_EQ(writes, 2);
}

TEST(CheckpointWriter, AFailedWriteReachesTheCaller) {
  CheckpointWriter writer;
  ASSERT_TRUE(writer.start([] { throw RuntimeError("cannot write x.ckpt: No space left"); }));
  EXPECT_THROW(writer.wait(), RuntimeError);
  writer.wait();  // reported once
  ASSERT_TRUE(writer.start([] { throw RuntimeError("again"); }));
  // Also when the next write is started before anyone waited.
  while (writer.busy()) std::this_thread::yield();
  EXPECT_THROW(writer.start([] {}), RuntimeError);
}

TEST(CheckpointWriter, AWrittenCheckpointLoads) {
  testing::TempDir dir;
  CheckpointWriter writer;
  CheckpointData copy = copy_checkpoint_to_cpu(small_checkpoint());
  const std::string path = dir.file("last.ckpt");
  ASSERT_TRUE(writer.start([&path, copy] { save_checkpoint(path, copy); }));
  writer.wait();
  EXPECT_TRUE(torch::equal(load_checkpoint(path).state_dict.at("fc.weight"),
                           small_checkpoint().state_dict.at("fc.weight")));
}

}  // namespace
}  // namespace imagenet
