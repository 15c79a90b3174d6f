// Tests data/repeat_sampler against timm's RepeatAugSampler: the epoch keeps its length, the
// copies of a sample go to different ranks, every kept sample is seen `repeats` times across
// the ranks, the order is reproducible per (seed, epoch) and with one repeat it is the plain
// sampler's permutation.
#include "imagenet/data/repeat_sampler.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace imagenet {
namespace {

SamplerOptions ranks(int rank, int world, uint64_t seed = 3) {
  SamplerOptions o;
  o.seed = seed;
  o.rank = rank;
  o.world_size = world;
  return o;
}

TEST(RepeatSampler, EpochLengthIsTimmsSelectedShare) {
  RepeatAugOptions repeat;  // 3 repeats, rounded to 256
  EXPECT_EQ(repeat_aug_samples_per_rank(1281167, ranks(0, 8), repeat), 1281024 / 8);
  EXPECT_EQ(repeat_aug_samples_per_rank(1000, ranks(0, 3), repeat), 768 / 3);
  EXPECT_EQ(repeat_aug_samples_per_rank(100, ranks(0, 3), repeat), 34);  // < 256: ceil(n / world)
  for (int world : {1, 2, 3, 4, 8}) {
    for (int rank = 0; rank < world; ++rank) {
      const auto mine = repeat_aug_epoch_indices(1000, 0, ranks(rank, world), repeat);
      EXPECT_EQ(static_cast<int64_t>(mine.size()),
                repeat_aug_samples_per_rank(1000, ranks(rank, world), repeat));
      for (int64_t i : mine) ASSERT_TRUE(i >= 0 && i < 1000);
    }
  }
}

TEST(RepeatSampler, CopiesGoToDifferentRanksAndAreSeenRepeatsTimes) {
  for (int world : {3, 4, 8}) {
    RepeatAugOptions repeat;
    repeat.repeats = world == 4 ? 4 : 3;
    std::map<int64_t, std::set<int>> where;
    std::map<int64_t, int> times;
    for (int rank = 0; rank < world; ++rank)
      for (int64_t i : repeat_aug_epoch_indices(2048, 5, ranks(rank, world), repeat)) {
        where[i].insert(rank);
        ++times[i];
      }
    int complete = 0;
    for (const auto& [index, n] : times) {
      ASSERT_LE(n, repeat.repeats) << index;
      // Consecutive copies are dealt to consecutive ranks: all on different ranks.
      EXPECT_EQ(static_cast<int>(where[index].size()), n) << index;
      complete += n == repeat.repeats;
    }
    // 2048 / world kept per rank: about 2048 / repeats distinct samples in all.
    EXPECT_NEAR(static_cast<double>(times.size()), 2048.0 / repeat.repeats, 2.0) << world;
    EXPECT_GE(complete, static_cast<int>(times.size()) - 2);
  }
}

TEST(RepeatSampler, ReproduciblePerSeedAndEpoch) {
  RepeatAugOptions repeat;
  EXPECT_EQ(repeat_aug_epoch_indices(600, 2, ranks(1, 2), repeat),
            repeat_aug_epoch_indices(600, 2, ranks(1, 2), repeat));
  EXPECT_NE(repeat_aug_epoch_indices(600, 2, ranks(1, 2), repeat),
            repeat_aug_epoch_indices(600, 3, ranks(1, 2), repeat));
  EXPECT_NE(repeat_aug_epoch_indices(600, 2, ranks(1, 2), repeat),
            repeat_aug_epoch_indices(600, 2, ranks(1, 2, 4), repeat));
  // One repeat, nothing cut: the plain sampler's permutation.
  RepeatAugOptions once;
  once.repeats = 1;
  once.selected_round = 1;
  EXPECT_EQ(repeat_aug_epoch_indices(300, 7, ranks(0, 1), once),
            epoch_indices(300, 7, ranks(0, 1)));
  // No shuffle: 0 0 0 1 1 1 ... dealt round-robin.
  SamplerOptions ordered = ranks(1, 2);
  ordered.shuffle = false;
  const auto mine = repeat_aug_epoch_indices(10, 0, ordered, RepeatAugOptions{3, 256});
  EXPECT_EQ(mine, (std::vector<int64_t>{0, 1, 1, 2, 3}));  // positions 1, 3, 5, 7, 9
}

}  // namespace
}  // namespace imagenet
