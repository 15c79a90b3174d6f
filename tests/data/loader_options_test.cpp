// Tests data/loader_options: the config's slice for the loader, and the advice given when the
// training step waits for data.
#include "imagenet/data/loader_options.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "imagenet/data/image_decoder.h"

namespace imagenet {
namespace {

TEST(LoaderOptions, TrainingAndValidationFromTheConfig) {
  Config c;
  c.train.batch_size = 64;
  c.data.val_batch_size = 100;
  c.data.img_size = 176;
  c.data.val_img_size = 224;
  c.data.io_threads = 48;
  c.data.io_retries = 5;
  ::unsetenv("IMAGENET_INJECT_READ_LATENCY_MS");
  LoaderOptions train = loader_options_from_config(c, true, 1, 4);
  EXPECT_EQ(train.batch_size, 64);
  EXPECT_EQ(train.transform.size, 176);
  EXPECT_TRUE(train.transform.random_crop);
  EXPECT_TRUE(train.sampler.shuffle && train.sampler.drop_last);
  EXPECT_EQ(train.sampler.rank, 1);
  EXPECT_EQ(train.sampler.world_size, 4);
  EXPECT_EQ(train.io_threads, 48);
  EXPECT_EQ(train.read_policy.retries, 5);
  EXPECT_EQ(train.read_policy.injected_latency_seconds, 0.0);
  EXPECT_EQ(train.max_image_pixels, kDefaultMaxImagePixels);  // the config's default is Pillow's
  c.data.max_image_pixels = 1000;
  EXPECT_EQ(loader_options_from_config(c, true).max_image_pixels, 1000);
  LoaderOptions val = loader_options_from_config(c, false);
  EXPECT_EQ(val.batch_size, 100);
  EXPECT_EQ(val.transform.size, 224);
  EXPECT_FALSE(val.transform.random_crop || val.sampler.shuffle || val.sampler.drop_last);
}

TEST(LoaderOptions, AdviceNamesTheBottleneck) {
  LoaderOptions o;
  o.num_workers = 4;
  o.io_threads = 32;
  LoaderEpochStats stats;
  stats.decode_seconds = 4 * 100 * 0.9;  // busy 90% of a 100 s epoch
  std::string cpu = loader_bottleneck_advice(stats, 100, o, 16);
  EXPECT_NE(cpu.find("raise num_workers"), std::string::npos) << cpu;
  std::string all_cores = loader_bottleneck_advice(stats, 100, o, 4);
  EXPECT_NE(all_cores.find("more cores"), std::string::npos) << all_cores;
  stats.decode_seconds = 4 * 100 * 0.2;  // idle most of the time: waiting for files
  std::string io = loader_bottleneck_advice(stats, 100, o, 16);
  EXPECT_NE(io.find("Raise io_threads (now 32)"), std::string::npos) << io;
  EXPECT_NE(io.find("imagenet_train subset"), std::string::npos) << io;
  EXPECT_NE(io.find("imagenet_train pack"), std::string::npos) << io;
}

}  // namespace
}  // namespace imagenet
