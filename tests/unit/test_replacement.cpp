// Replacement policies of the shared cache storage: which way a fill evicts
// from a full set under LRU, tree pseudo-LRU and seeded random replacement.
#include <gtest/gtest.h>

#include "iommu/set_associative_cache.h"

namespace iommu_sim {
namespace {

using Cache = SetAssociativeCache<int, int>;

TEST(Replacement, LruEvictsTheOldestUse) {
  StatsRegistry stats;
  Cache cache(CacheParams{true, 1, 4, "lru"}, stats, "c");
  for (int k = 0; k < 4; ++k) cache.insert(k, k, 0);
  ASSERT_NE(cache.lookup(0, 0), nullptr);  // 0 is now newer than 1, 2, 3
  cache.insert(10, 10, 0);
  EXPECT_EQ(cache.probe(1, 0), nullptr);
  EXPECT_NE(cache.probe(0, 0), nullptr);
  EXPECT_NE(cache.probe(2, 0), nullptr);
  EXPECT_NE(cache.probe(3, 0), nullptr);
}

TEST(Replacement, TreePlruFollowsTheTreeBitsNotTheTrueAge) {
  // After the uses 0, 1, 2, 3, 0 the root points away from way 0's half
  // (to ways 2-3) and that node away from way 3 (the last used there): way
  // 2 goes, although way 1 is older (LRU would take way 1).
  StatsRegistry stats;
  Cache cache(CacheParams{true, 1, 4, "tree_plru"}, stats, "c");
  for (int k = 0; k < 4; ++k) cache.insert(k, k, 0);
  ASSERT_NE(cache.lookup(0, 0), nullptr);
  cache.insert(10, 10, 0);
  EXPECT_EQ(cache.probe(2, 0), nullptr);
  EXPECT_NE(cache.probe(1, 0), nullptr);
  EXPECT_NE(cache.probe(0, 0), nullptr);
  EXPECT_NE(cache.probe(3, 0), nullptr);
}

TEST(Replacement, TreePlruWiderThan64WaysUsesEveryLevelOfTheTree) {
  // 128 ways need 127 node bits (two words). After the uses 0..127 in order
  // every node points away from its most recent use, down the left edge to
  // way 0. Refilling way 0 turns the root to the right half, whose nodes
  // still point away from way 127, down to way 64.
  StatsRegistry stats;
  Cache cache(CacheParams{true, 1, 128, "tree_plru"}, stats, "c");
  for (int k = 0; k < 128; ++k) cache.insert(k, k, static_cast<std::uint64_t>(k));
  cache.insert(1000, 1000, 1000);
  EXPECT_EQ(cache.probe(0, 0), nullptr);
  cache.insert(2000, 2000, 2000);
  EXPECT_EQ(cache.probe(64, 64), nullptr);
  EXPECT_EQ(stats.counter_value("c.evictions"), 2u);
  for (int k : {1, 63, 65, 127, 1000, 2000}) {
    EXPECT_NE(cache.probe(k, static_cast<std::uint64_t>(k)), nullptr) << k;
  }
}

TEST(Replacement, RandomIsReproducibleForOneSeedAndFillsInvalidWaysFirst) {
  auto victims = [](std::uint64_t seed) {
    StatsRegistry stats;
    Cache cache(CacheParams{true, 1, 4, "random"}, stats, "c", seed);
    for (int k = 0; k < 4; ++k) cache.insert(k, k, 0);
    EXPECT_EQ(stats.counter_value("c.evictions"), 0u);  // four ways, no victim yet
    std::vector<int> present;
    for (int k = 4; k < 40; ++k) cache.insert(k, k, 0);
    for (int k = 0; k < 40; ++k) {
      if (cache.probe(k, 0) != nullptr) present.push_back(k);
    }
    EXPECT_EQ(present.size(), 4u);
    EXPECT_EQ(stats.counter_value("c.evictions"), 36u);
    return present;
  };
  EXPECT_EQ(victims(7), victims(7));
  // Another seed draws other victims (for these seeds; checked, not assumed).
  EXPECT_NE(victims(7), victims(8));
}

}  // namespace
}  // namespace iommu_sim
