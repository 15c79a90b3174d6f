// Tests data/tar and data/shards: tar members round trip, the epoch plan, and a packed dataset
// loading the same samples with the same augmentations as its folders.
#include "imagenet/data/shards.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "imagenet/data/batch_loader.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/prepare.h"
#include "imagenet/data/tar.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;

TEST(Tar, MembersRoundTripWithLongNames) {
  TempDir dir;
  const std::string long_name = std::string(120, 'd') + "/" + std::string(90, 'f') + ".jpg";
  std::string tar = tar_header("a/b.cls", 1) + "7" + std::string(511, '\0');
  tar += tar_header(long_name, 3) + "xyz" + std::string(509, '\0') + tar_end();
  write_file_replace(dir.file("t.tar"), tar);
  // GNU tar reads what we write.
  auto listing = testing::run_command("tar -tf " + dir.file("t.tar"));
  EXPECT_EQ(listing.exit_code, 0) << listing.output;
  EXPECT_NE(listing.output.find(long_name), std::string::npos) << listing.output;

  TarReader reader(dir.file("t.tar"), {});
  TarMember m;
  ASSERT_TRUE(reader.next(&m));
  EXPECT_EQ(m.name, "a/b.cls");
  EXPECT_EQ(std::string(m.data.begin(), m.data.end()), "7");
  ASSERT_TRUE(reader.next(&m));
  EXPECT_EQ(m.name, long_name);
  EXPECT_EQ(std::string(m.data.begin(), m.data.end()), "xyz");
  EXPECT_FALSE(reader.next(&m));

  std::string key, ext;
  split_sample_name("n01/n01_5.tar.JPG", &key, &ext);
  EXPECT_EQ(key, "n01/n01_5");
  EXPECT_EQ(ext, "tar.jpg");

  write_file_replace(dir.file("cut.tar"), tar.substr(0, 1024 + 600));
  TarReader cut(dir.file("cut.tar"), {});
  ASSERT_TRUE(cut.next(&m));
  EXPECT_THROW(cut.next(&m), DecodeError);
}

DatasetIndex toy_index(const std::vector<int64_t>& shard_sizes) {
  DatasetIndex index;
  index.classes = {"a"};
  for (int64_t n : shard_sizes) {
    ShardInfo s;
    s.first_sample = static_cast<int64_t>(index.samples.size());
    s.samples = n;
    index.shards.push_back(s);
    for (int64_t i = 0; i < n; ++i) index.samples.push_back({"", 0});
  }
  return index;
}

TEST(Shards, EpochPlanIsASeededPermutationSplitByShardsAcrossRanks) {
  DatasetIndex index = toy_index({10, 10, 10, 7});
  SamplerOptions s;
  s.shuffle = true;
  s.seed = 3;
  ShardEpochPlan a = plan_shard_epoch(index, 0, s, 8, 37);
  ShardEpochPlan again = plan_shard_epoch(index, 0, s, 8, 37);
  ShardEpochPlan other = plan_shard_epoch(index, 1, s, 8, 37);
  EXPECT_EQ(a.order, again.order);
  EXPECT_NE(a.order, other.order);
  ASSERT_EQ(a.order.size(), 37u);
  std::vector<int64_t> sorted(a.dataset_index.begin(), a.dataset_index.end());
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 37; ++i) EXPECT_EQ(sorted[i], i);  // every sample once
  // The buffer bounds how early a sample can come out: position p holds stream index <= p + 8.
  for (size_t p = 0; p < a.order.size(); ++p) EXPECT_LE(a.order[p], static_cast<int64_t>(p) + 8);

  // Two ranks read different shards; a rank short of samples reads its shards again.
  s.world_size = 2;
  s.rank = 0;
  ShardEpochPlan r0 = plan_shard_epoch(index, 0, s, 8, 19);
  s.rank = 1;
  ShardEpochPlan r1 = plan_shard_epoch(index, 0, s, 8, 19);
  std::set<int> shards0(r0.shards.begin(), r0.shards.end()),
      shards1(r1.shards.begin(), r1.shards.end());
  for (int shard : shards0) EXPECT_EQ(shards1.count(shard), 0u);
  EXPECT_GE(r0.order.size(), 19u);
  EXPECT_GE(r1.order.size(), 19u);

  // Without shuffling: shards and samples in order.
  SamplerOptions in_order;
  in_order.shuffle = false;
  ShardEpochPlan v = plan_shard_epoch(index, 5, in_order, 8, 37);
  for (int64_t p = 0; p < 37; ++p) EXPECT_EQ(v.dataset_index[v.order[p]], p);
}

struct Loaded {
  std::vector<std::vector<uint8_t>> images;
  std::vector<int64_t> labels;
};

Loaded load_all(BatchLoader& loader, int64_t epoch) {
  Loaded out;
  loader.start_epoch(epoch);
  while (auto b = loader.next()) {
    const size_t image = static_cast<size_t>(b->height) * b->width * 3;
    for (int i = 0; i < b->size; ++i) {
      out.images.emplace_back(b->images + i * image, b->images + (i + 1) * image);
      out.labels.push_back(b->labels[i]);
    }
  }
  return out;
}

LoaderOptions options_for(bool train) {
  LoaderOptions o;
  o.batch_size = 5;
  o.num_workers = 2;
  o.io_threads = 2;
  o.shuffle_buffer = 6;
  o.sampler.seed = 9;
  o.sampler.shuffle = train;
  o.sampler.drop_last = false;
  o.transform.random_crop = train;
  o.transform.size = 24;
  return o;
}

TEST(Shards, PackedDataLoadsTheSameSamplesAndAugmentationsAsItsFolders) {
  TempDir dir;
  SyntheticOptions data;
  data.out_dir = dir.file("folders");
  data.classes = 3;
  data.train_per_class = 9;
  data.val_per_class = 4;
  data.png_every = 5;
  prepare_synthetic(data);
  PackOptions pack;
  pack.src = dir.file("folders");
  pack.dst = dir.file("shards");
  pack.shard_bytes = 20 << 10;  // small shards: several per split
  pack.threads = 3;
  PackReport report = pack_dataset(pack);
  EXPECT_EQ(report.samples, 27 + 12);
  EXPECT_GE(report.shards, 4);
  EXPECT_EQ(pack_dataset(pack).shards_skipped, report.shards);  // a second run keeps them

  auto classes = list_class_folders(dir.file("folders/train"));
  for (bool train : {false, true}) {
    const std::string split = train ? "train" : "val";
    auto folders =
        std::make_shared<DatasetIndex>(scan_image_folder(dir.file("folders/" + split), classes));
    auto shards = std::make_shared<DatasetIndex>(read_shard_index(dir.file("shards/" + split)));
    EXPECT_EQ(shards->classes, classes);
    ASSERT_EQ(shards->samples.size(), folders->samples.size());
    BatchLoader from_folders(folders, options_for(train));
    BatchLoader from_shards(shards, options_for(train));
    Loaded a = load_all(from_folders, 2), b = load_all(from_shards, 2);
    ASSERT_EQ(a.images.size(), b.images.size());
    if (!train) {  // validation: the same order, the same pixels
      EXPECT_EQ(a.labels, b.labels);
      EXPECT_TRUE(a.images == b.images);
      continue;
    }
    // Training: another order, but each sample with the same crop and flip.
    std::vector<std::pair<std::vector<uint8_t>, int64_t>> sa, sb;
    for (size_t i = 0; i < a.images.size(); ++i) {
      sa.push_back({a.images[i], a.labels[i]});
      sb.push_back({b.images[i], b.labels[i]});
    }
    EXPECT_NE(a.labels, b.labels);
    std::sort(sa.begin(), sa.end());
    std::sort(sb.begin(), sb.end());
    EXPECT_TRUE(sa == sb);
    // Shards are deterministic too, and a mid-epoch restart continues the same order.
    Loaded again = load_all(from_shards, 2);
    EXPECT_EQ(again.labels, b.labels);
    from_shards.start_epoch(2, 2);
    Loaded tail;
    while (auto batch = from_shards.next())
      for (int i = 0; i < batch->size; ++i) tail.labels.push_back(batch->labels[i]);
    EXPECT_EQ(tail.labels, std::vector<int64_t>(b.labels.begin() + 10, b.labels.end()));
  }
}

TEST(Shards, ValidationOnSeveralRanksReadsEveryImageOnce) {
  // Without padding each rank reads its own shards (every world-th) once: together the ranks
  // see exactly the images one process sees, so summed validation metrics are exact.
  TempDir dir;
  SyntheticOptions data;
  data.out_dir = dir.file("folders");
  data.classes = 3;
  data.train_per_class = 2;
  data.val_per_class = 5;
  prepare_synthetic(data);
  PackOptions pack;
  pack.src = dir.file("folders");
  pack.dst = dir.file("shards");
  pack.shard_bytes = 16 << 10;
  ASSERT_GE(pack_dataset(pack).shards, 4);
  auto shards = std::make_shared<DatasetIndex>(read_shard_index(dir.file("shards/val")));
  ASSERT_GE(shards->shards.size(), 3u);

  auto as_pairs = [](const Loaded& l) {
    std::vector<std::pair<std::vector<uint8_t>, int64_t>> out;
    for (size_t i = 0; i < l.images.size(); ++i) out.push_back({l.images[i], l.labels[i]});
    std::sort(out.begin(), out.end());
    return out;
  };
  BatchLoader alone(shards, options_for(false));
  const auto expected = as_pairs(load_all(alone, 0));
  ASSERT_EQ(expected.size(), 15u);
  for (int world : {2, 3}) {
    Loaded together;
    for (int rank = 0; rank < world; ++rank) {
      LoaderOptions o = options_for(false);
      o.sampler.rank = rank;
      o.sampler.world_size = world;
      o.sampler.pad = false;
      BatchLoader loader(shards, o);
      EXPECT_EQ(loader.num_batches(), batches_per_epoch(*shards, o));
      Loaded mine = load_all(loader, 0);
      EXPECT_EQ(static_cast<int64_t>(mine.labels.size()), samples_per_rank(*shards, o.sampler));
      together.images.insert(together.images.end(), mine.images.begin(), mine.images.end());
      together.labels.insert(together.labels.end(), mine.labels.begin(), mine.labels.end());
    }
    EXPECT_TRUE(as_pairs(together) == expected) << "world " << world;
  }
  // A rank without a shard of its own would have nothing to validate: refused, with the fix.
  LoaderOptions too_many = options_for(false);
  too_many.sampler.world_size = static_cast<int>(shards->shards.size()) + 1;
  too_many.sampler.rank = too_many.sampler.world_size - 1;
  too_many.sampler.pad = false;
  try {
    BatchLoader loader(shards, too_many);
    ADD_FAILURE() << "a rank without a shard was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("pack it again with a smaller --shard_size"),
              std::string::npos)
        << e.what();
  }
}

TEST(Shards, ACorruptImageInAShardIsCountedAndReplaced) {
  TempDir dir;
  SyntheticOptions data;
  data.out_dir = dir.file("folders");
  data.classes = 2;
  data.train_per_class = 6;
  data.val_per_class = 2;
  prepare_synthetic(data);
  testing::write_text(dir.file("folders/train/class_001/00002.jpg"), "garbage, not a JPEG");
  PackOptions pack;
  pack.src = dir.file("folders");
  pack.dst = dir.file("shards");
  pack_dataset(pack);
  auto shards = std::make_shared<DatasetIndex>(read_shard_index(dir.file("shards/train")));
  LoaderOptions o = options_for(true);
  o.max_bad_fraction = 0.5;
  BatchLoader loader(shards, o);
  Loaded all = load_all(loader, 0);
  EXPECT_EQ(all.images.size(), 12u);
  EXPECT_EQ(loader.epoch_stats().bad_samples, 1);
  ASSERT_EQ(loader.epoch_stats().bad_examples.size(), 1u);
  EXPECT_NE(loader.epoch_stats().bad_examples[0].find("train-000000.tar member 8"),
            std::string::npos)
      << loader.epoch_stats().bad_examples[0];
}

TEST(Shards, MissingIndexNamesThePackCommand) {
  TempDir dir;
  try {
    read_shard_index(dir.path());
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("imagenet_train pack"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace imagenet
