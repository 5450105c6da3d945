// Large and fully associative caches: the indexed lookup, LRU list and
// multi-word tree-PLRU choose exactly what a straightforward scan of every
// way would; a fully associative IOTLB under uniform random pages misses
// 1 - E/N of the time; and the config refuses geometries beyond the caps.
#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "iommu/iotlb.h"
#include "iommu/set_associative_cache.h"
#include "model/platform/platform_config.h"

namespace iommu_sim {
namespace {

// The cache as it was before the tag index: every probe, fill and LRU victim
// scans the set's ways; LRU stamps each use; tree-PLRU keeps one bit per
// tree node (any number of ways); random draws from the same seeded stream.
class ReferenceCache {
 public:
  ReferenceCache(const CacheParams& p, std::uint64_t seed, const std::string& prefix)
      : sets_(p.sets),
        ways_(p.ways),
        policy_(p.replacement),
        slots_(std::size_t{p.sets} * p.ways),
        plru_(std::size_t{p.sets} * p.ways),
        rng_(cache_seed(seed, prefix)) {}

  std::optional<int> probe(int key, std::uint64_t index) {
    const std::uint64_t s = index & (sets_ - 1);
    for (std::uint32_t w = 0; w < ways_; ++w) {
      if (slot(s, w).valid && slot(s, w).key == key) {
        touch(s, w);
        return slot(s, w).value;
      }
    }
    return std::nullopt;
  }

  void insert(int key, int value, std::uint64_t index) {
    const std::uint64_t s = index & (sets_ - 1);
    std::uint32_t way = ways_;
    for (std::uint32_t w = 0; w < ways_ && way == ways_; ++w) {
      if (slot(s, w).valid && slot(s, w).key == key) way = w;
    }
    for (std::uint32_t w = 0; w < ways_ && way == ways_; ++w) {
      if (!slot(s, w).valid) way = w;
    }
    if (way == ways_) way = victim(s);
    slot(s, way) = Slot{key, value, 0, true};
    touch(s, way);
  }

  template <class Pred>
  std::uint64_t invalidate_if(Pred pred) {
    std::uint64_t n = 0;
    for (Slot& e : slots_) {
      if (e.valid && pred(e.key, e.value)) {
        e.valid = false;
        ++n;
      }
    }
    return n;
  }

  // Every valid (key, value) in storage order: where each entry sits.
  std::vector<std::pair<int, int>> contents() const {
    std::vector<std::pair<int, int>> out;
    for (const Slot& e : slots_) {
      if (e.valid) out.emplace_back(e.key, e.value);
    }
    return out;
  }

 private:
  struct Slot {
    int key = 0, value = 0;
    std::uint64_t stamp = 0;
    bool valid = false;
  };
  Slot& slot(std::uint64_t set, std::uint32_t way) { return slots_[set * ways_ + way]; }

  void touch(std::uint64_t set, std::uint32_t way) {
    slot(set, way).stamp = ++clock_;
    for (std::uint32_t node = way + ways_; node > 1; node /= 2) {
      plru_[set * ways_ + node / 2] = (node & 1) == 0;  // left child used: point right
    }
  }
  std::uint32_t victim(std::uint64_t set) {
    if (policy_ == "random") return static_cast<std::uint32_t>(rng_() % ways_);
    if (policy_ == "tree_plru") {
      std::uint32_t node = 1;
      while (node < ways_) node = 2 * node + (plru_[set * ways_ + node] ? 1 : 0);
      return node - ways_;
    }
    std::uint32_t oldest = 0;
    for (std::uint32_t w = 1; w < ways_; ++w) {
      if (slot(set, w).stamp < slot(set, oldest).stamp) oldest = w;
    }
    return oldest;
  }

  std::uint32_t sets_, ways_;
  std::string policy_;
  std::vector<Slot> slots_;
  std::vector<bool> plru_;  // node n of set s at s * ways + n
  std::mt19937_64 rng_;
  std::uint64_t clock_ = 0;
};

std::vector<std::pair<int, int>> contents(SetAssociativeCache<int, int>& cache) {
  std::vector<std::pair<int, int>> out;
  cache.invalidate_if([&](int k, int v) {
    out.emplace_back(k, v);
    return false;
  });
  return out;
}

struct Geometry {
  std::uint32_t ways;
  std::string replacement;
};

class AssociativeMatchesReference : public ::testing::TestWithParam<Geometry> {};

// Random fills, probes and invalidations over twice as many keys as the
// cache holds: every probe must hit or miss (with the same value) as in the
// reference, and every entry must sit in the same way, so each victim was
// the same.
TEST_P(AssociativeMatchesReference, SameHitsAndVictimsAsAScanOfEveryWay) {
  const auto& [ways, replacement] = GetParam();
  const CacheParams params{true, 2, ways, replacement};
  StatsRegistry stats;
  SetAssociativeCache<int, int> cache(params, stats, "c", 42);
  ReferenceCache reference(params, 42, "c");
  const int keys = static_cast<int>(4 * ways);
  // The IOTLB's kind of index: consecutive keys alternate between the sets.
  auto index = [](int key) { return static_cast<std::uint64_t>(key) * 0x9e3779b1u; };
  std::mt19937_64 rng(2024);
  std::uint64_t hits = 0;
  const int ops = 4000 + 12 * static_cast<int>(ways);  // several refills of the whole cache
  for (int op = 0; op < ops; ++op) {
    const int key = static_cast<int>(rng() % keys);
    const std::uint64_t dice = rng() % 100;
    if (dice < 45) {
      cache.insert(key, op, index(key));
      reference.insert(key, op, index(key));
    } else if (dice < 99) {
      const int* got = cache.probe(key, index(key));
      const std::optional<int> want = reference.probe(key, index(key));
      ASSERT_EQ(got != nullptr, want.has_value()) << "op " << op << " key " << key;
      if (got != nullptr) {
        ASSERT_EQ(*got, *want) << "op " << op;
        ++hits;
      }
    } else {
      // A few neighbouring keys, as a page-selective invalidation removes.
      const int lo = key, hi = key + static_cast<int>(rng() % 8);
      auto in_range = [=](int k, int) { return lo <= k && k < hi; };
      ASSERT_EQ(cache.invalidate_if(in_range), reference.invalidate_if(in_range)) << "op " << op;
    }
    if (op % 16 == 0) {
      ASSERT_EQ(contents(cache), reference.contents()) << "op " << op;
    }
  }
  EXPECT_EQ(contents(cache), reference.contents());
  // The run exercised both outcomes and full sets.
  EXPECT_GT(hits, 200u);
  EXPECT_GT(cache.evictions(), 200u);
}

INSTANTIATE_TEST_SUITE_P(
    WaysAndPolicies, AssociativeMatchesReference,
    ::testing::Values(Geometry{4, "lru"}, Geometry{4, "tree_plru"}, Geometry{4, "random"},
                      Geometry{64, "lru"}, Geometry{64, "tree_plru"}, Geometry{64, "random"},
                      Geometry{1024, "lru"}, Geometry{1024, "tree_plru"}, Geometry{1024, "random"}),
    [](const auto& info) {
      return std::to_string(info.param.ways) + "ways_" + info.param.replacement;
    });

struct MissCase {
  std::uint32_t entries;
  std::uint32_t pages;
  std::string replacement;
};

class FullyAssociativeIotlb : public ::testing::TestWithParam<MissCase> {};

// Under uniformly random references to N pages a full cache of E entries
// holds E of them whatever it evicted, so a lookup misses with probability
// 1 - E/N (the independent reference model; Coffman and Denning, Operating
// Systems Theory, 1973, 6.3). 200000 lookups put the standard error near
// 0.001, so 0.01 is a wide margin.
TEST_P(FullyAssociativeIotlb, UniformRandomPagesMissOneMinusEntriesOverPages) {
  // Named copies, not a structured binding: clang 14 cannot capture one
  // in the lambda below (C++20 allows it; clang 16 implements it).
  const std::uint32_t entries = GetParam().entries;
  const std::uint32_t pages = GetParam().pages;
  const std::string& replacement = GetParam().replacement;
  StatsRegistry stats;
  Iotlb tlb(CacheParams{true, 1, entries, replacement}, stats, "tlb", 9);
  std::mt19937_64 rng(77);
  auto access = [&] {
    const std::uint64_t iova = (rng() % pages) << 12;
    if (tlb.lookup(1, 1, iova) == nullptr) {
      IotlbEntry e;
      e.output_page = iova + (1ull << 32);
      tlb.insert(1, 1, iova, e);
    }
  };
  while (tlb.occupancy() < entries) access();
  for (std::uint32_t i = 0; i < pages; ++i) access();
  const std::uint64_t lookups0 = stats.counter_value("tlb.lookups");
  const std::uint64_t misses0 = stats.counter_value("tlb.misses");
  const int kLookups = 200000;
  for (int i = 0; i < kLookups; ++i) access();
  ASSERT_EQ(stats.counter_value("tlb.lookups") - lookups0, static_cast<std::uint64_t>(kLookups));
  const double missed = static_cast<double>(stats.counter_value("tlb.misses") - misses0) / kLookups;
  EXPECT_NEAR(missed, 1.0 - static_cast<double>(entries) / pages, 0.01);
  EXPECT_EQ(tlb.occupancy(), entries);
}

std::vector<MissCase> miss_cases() {
  std::vector<MissCase> cases;
  for (std::uint32_t e : {64u, 512u, 4096u}) {
    for (std::uint32_t factor : {2u, 8u}) {
      for (const char* policy : {"lru", "random"}) cases.push_back({e, e * factor, policy});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EntriesPagesPolicy, FullyAssociativeIotlb,
                         ::testing::ValuesIn(miss_cases()), [](const auto& info) {
                           return std::to_string(info.param.entries) + "entries_" +
                                  std::to_string(info.param.pages) + "pages_" +
                                  info.param.replacement;
                         });

// The config takes a 4096-entry fully associative IOTLB and names the field
// of a geometry past the caps.
TEST(FullyAssociativeConfig, AcceptsThousandsOfWaysAndRefusesBeyondTheCaps) {
  using nlohmann::json;
  auto errors_for = [](const json& iotlb) {
    PlatformConfig c;
    return load_config(json{{"iommu", {{"iotlb", iotlb}}}}, c);
  };
  EXPECT_TRUE(errors_for({{"sets", 1}, {"ways", 4096}, {"replacement", "tree_plru"}}).empty());
  auto too_many_ways = errors_for({{"sets", 1}, {"ways", kMaxCacheWays + 1}});
  ASSERT_EQ(too_many_ways.size(), 1u);
  EXPECT_EQ(too_many_ways[0].path, "iommu.iotlb.ways");
  EXPECT_NE(too_many_ways[0].reason.find("between 1 and 16384"), std::string::npos);
  auto too_many_entries = errors_for({{"sets", 128}, {"ways", 16384}});
  ASSERT_EQ(too_many_entries.size(), 1u);
  EXPECT_EQ(too_many_entries[0].path, "iommu.iotlb.ways");
  EXPECT_EQ(too_many_entries[0].reason, "sets x ways is 2097152 entries, more than 1048576");
}

}  // namespace
}  // namespace iommu_sim
