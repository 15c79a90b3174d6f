// Tests data/sampler: every index exactly once per epoch across ranks, padding and dropping as
// PyTorch's DistributedSampler, and reproducible shuffles.
#include "imagenet/data/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace imagenet {
namespace {

TEST(Sampler, SingleRankIsAPermutation) {
  SamplerOptions o;
  o.seed = 5;
  auto order = epoch_indices(1000, 0, o);
  ASSERT_EQ(order.size(), 1000u);
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(order, sorted);
}

TEST(Sampler, EpochAndSeedChangeTheOrderReproducibly) {
  SamplerOptions o;
  o.seed = 5;
  EXPECT_EQ(epoch_indices(100, 3, o), epoch_indices(100, 3, o));
  EXPECT_NE(epoch_indices(100, 3, o), epoch_indices(100, 4, o));
  SamplerOptions other = o;
  other.seed = 6;
  EXPECT_NE(epoch_indices(100, 3, o), epoch_indices(100, 3, other));
  o.shuffle = false;
  auto order = epoch_indices(10, 3, o);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(order[i], i);
}

TEST(Sampler, RanksCoverEveryIndexExactlyOnce) {
  for (int64_t n : {12, 13, 97, 100}) {
    for (int world : {1, 2, 3, 4}) {
      std::map<int64_t, int> seen;
      size_t per_rank = 0;
      for (int rank = 0; rank < world; ++rank) {
        SamplerOptions o{true, /*drop_last=*/false, 9, rank, world};
        auto mine = epoch_indices(n, 2, o);
        if (rank == 0) per_rank = mine.size();
        EXPECT_EQ(mine.size(), per_rank);
        for (auto i : mine) ++seen[i];
      }
      // Padding repeats (ceil(n / world) * world - n) indices once; all others appear once.
      EXPECT_EQ(static_cast<int64_t>(seen.size()), n);
      int64_t extra = static_cast<int64_t>(per_rank) * world - n;
      int64_t twice =
          std::count_if(seen.begin(), seen.end(), [](auto& kv) { return kv.second == 2; });
      EXPECT_EQ(twice, extra) << "n=" << n << " world=" << world;
    }
  }
}

TEST(Sampler, DropLastGivesEqualDisjointShares) {
  const int64_t n = 103;
  const int world = 4;
  std::map<int64_t, int> seen;
  for (int rank = 0; rank < world; ++rank) {
    SamplerOptions o{true, /*drop_last=*/true, 9, rank, world};
    auto mine = epoch_indices(n, 0, o);
    EXPECT_EQ(mine.size(), 25u);
    for (auto i : mine) ++seen[i];
  }
  EXPECT_EQ(seen.size(), 100u);
  for (auto& [index, count] : seen) EXPECT_EQ(count, 1) << index;
}

TEST(Sampler, WithoutPaddingEverySampleGoesToExactlyOneRank) {
  // Validation's split: uneven sizes included, and datasets smaller than the world.
  for (int64_t n : {3, 12, 13, 97, 100}) {
    for (int world : {1, 2, 3, 4, 5}) {
      std::map<int64_t, int> seen;
      int64_t smallest = n, largest = 0;
      for (int rank = 0; rank < world; ++rank) {
        SamplerOptions o{true, /*drop_last=*/false, 9, rank, world, /*pad=*/false};
        auto mine = epoch_indices(n, 1, o);
        EXPECT_EQ(static_cast<int64_t>(mine.size()), samples_per_rank(n, o));
        smallest = std::min<int64_t>(smallest, mine.size());
        largest = std::max<int64_t>(largest, mine.size());
        for (auto i : mine) ++seen[i];
      }
      EXPECT_EQ(static_cast<int64_t>(seen.size()), n) << "n=" << n << " world=" << world;
      for (auto& [index, count] : seen) EXPECT_EQ(count, 1) << index;
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(Sampler, SamplesPerRankMatchesEachPolicy) {
  SamplerOptions o{true, /*drop_last=*/true, 1, 0, 4};
  EXPECT_EQ(samples_per_rank(103, o), 25);
  o.drop_last = false;
  EXPECT_EQ(samples_per_rank(103, o), 26);
  o.pad = false;
  o.rank = 3;
  EXPECT_EQ(samples_per_rank(103, o), 25);
  o.rank = 2;
  EXPECT_EQ(samples_per_rank(103, o), 26);
}

}  // namespace
}  // namespace imagenet
