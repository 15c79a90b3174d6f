// Tests data/loader_options: the config's slice for the loader, and the advice given when the
// training step waits for data.
#include "imagenet/data/loader_options.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"

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

TEST(LoaderOptions, AugmentationKeysReachTheTrainingTransformOnly) {
  Config c;
  c.augment.auto_augment = "rand-m9-mstd0.5-inc1";
  c.augment.train_interpolation = TrainInterpolation::kBicubic;
  c.augment.reprob = 0.25;
  c.augment.remode = RandomEraseMode::kConst;
  c.augment.recount = 3;
  c.augment.aug_repeats = 3;
  c.data.val_resize_size = 232;
  const LoaderOptions train = loader_options_from_config(c, true);
  EXPECT_EQ(train.transform.augment.family, AugmentFamily::kTimm);
  EXPECT_DOUBLE_EQ(train.transform.augment.timm.magnitude, 9);
  EXPECT_TRUE(train.transform.augment.timm.increasing);
  EXPECT_EQ(train.transform.interpolation, Interpolation::kBicubic);
  EXPECT_DOUBLE_EQ(train.transform.erasing.probability, 0.25);
  EXPECT_EQ(train.transform.erasing.mode, EraseMode::kConst);
  EXPECT_EQ(train.transform.erasing.max_count, 3);
  EXPECT_EQ(train.sampler.aug_repeats, 3);
  const LoaderOptions val = loader_options_from_config(c, false);
  EXPECT_EQ(val.transform.augment.family, AugmentFamily::kNone);
  EXPECT_DOUBLE_EQ(val.transform.erasing.probability, 0.0);
  EXPECT_EQ(val.sampler.aug_repeats, 0);
  EXPECT_EQ(val.transform.val_resize, 232);
  c.augment.auto_augment = "rand-x9";
  try {
    check_loader_config(c);
    FAIL() << "an unknown policy was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("auto_augment"), std::string::npos) << e.what();
  }
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

TEST(LoaderOptions, AdviceFitsWhereTheSamplesComeFrom) {
  LoaderOptions o;
  o.num_workers = 4;
  o.io_threads = 32;
  o.s3_requests = 64;
  LoaderEpochStats stats;
  stats.decode_seconds = 4 * 100 * 0.2;  // waiting for reads
  // Shards: the streams actually used (io_threads beyond 8 are not), and no "pack" advice.
  std::string shards = loader_bottleneck_advice(stats, 100, o, 16, SampleOrigin::shards);
  EXPECT_NE(shards.find("read by 8 streams (io_threads 32, at most 8)"), std::string::npos)
      << shards;
  EXPECT_NE(shards.find("bandwidth is the limit"), std::string::npos) << shards;
  EXPECT_EQ(shards.find("pack"), std::string::npos) << shards;
  o.io_threads = 2;
  shards = loader_bottleneck_advice(stats, 100, o, 16, SampleOrigin::shards);
  EXPECT_NE(shards.find("read by 2 streams"), std::string::npos) << shards;
  EXPECT_NE(shards.find("raise io_threads to 8"), std::string::npos) << shards;
  // S3 objects: the GETs in flight, shards in the bucket; the retries of the epoch.
  stats.read_retries = 12;
  std::string s3 = loader_bottleneck_advice(stats, 100, o, 16, SampleOrigin::s3_objects);
  EXPECT_NE(s3.find("64 GETs in flight, s3_requests"), std::string::npos) << s3;
  EXPECT_NE(s3.find("pack --dst s3://"), std::string::npos) << s3;
  EXPECT_NE(s3.find("12 reads were retried"), std::string::npos) << s3;
  EXPECT_EQ(s3.find("io_threads"), std::string::npos) << s3;
  std::string s3_shards = loader_bottleneck_advice(stats, 100, o, 16, SampleOrigin::s3_shards);
  EXPECT_NE(s3_shards.find("S3 shards, read by 2 streams"), std::string::npos) << s3_shards;
  EXPECT_EQ(s3_shards.find("pack"), std::string::npos) << s3_shards;
}

TEST(LoaderOptions, SampleOriginFromTheIndex) {
  DatasetIndex index;
  index.split_dir = "/data/train";
  EXPECT_EQ(sample_origin(index), SampleOrigin::files);
  index.shards.push_back({});
  EXPECT_EQ(sample_origin(index), SampleOrigin::shards);
  index.split_dir = "s3://bucket/imagenet/train";
  EXPECT_EQ(sample_origin(index), SampleOrigin::s3_shards);
  index.shards.clear();
  EXPECT_EQ(sample_origin(index), SampleOrigin::s3_objects);
}

}  // namespace
}  // namespace imagenet
