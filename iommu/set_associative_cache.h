// The storage every IOMMU translation cache shares: `sets` x `ways` entries,
// a replacement policy within a set, and per-cache counters. What a cache is
// tagged by and how it is indexed is its owner's business (Key and the set
// index it passes in).
#pragma once

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "model/stats.h"

namespace iommu_sim {

struct CacheParams {
  bool enabled = true;
  std::uint32_t sets = 16;
  std::uint32_t ways = 4;
  // lru, tree_plru (ways a power of two) or random.
  std::string replacement = "lru";
};

// Per-cache seed for random replacement: the run's seed mixed with the
// cache's stats name (FNV-1a), so caches draw independent streams and the
// same config and seed replay the same victims.
inline std::uint64_t cache_seed(std::uint64_t seed, std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

template <class Key, class Value>
class SetAssociativeCache {
 public:
  SetAssociativeCache(const CacheParams& params, StatsRegistry& stats, const std::string& prefix,
                      std::uint64_t seed = 0)
      : enabled_(params.enabled),
        sets_(params.sets),
        ways_(params.ways),
        policy_(params.replacement == "tree_plru" ? Policy::TreePlru
                : params.replacement == "random"  ? Policy::Random
                                                  : Policy::Lru),
        entries_(static_cast<std::size_t>(params.sets) * params.ways),
        plru_(policy_ == Policy::TreePlru ? params.sets : 0),
        rng_(cache_seed(seed, prefix)) {
    stats.counter(prefix + ".lookups", &lookups_, "lookups");
    stats.counter(prefix + ".hits", &hits_, "lookups that found a valid matching entry");
    stats.counter(prefix + ".misses", &misses_, "lookups that found none");
    stats.counter(prefix + ".fills", &fills_, "entries written after a miss");
    stats.counter(prefix + ".evictions", &evictions_,
                  "valid entries replaced by a fill (victim chosen by the replacement policy)");
    stats.counter(prefix + ".invalidations", &invalidated_,
                  "valid entries removed by invalidation descriptors");
    stats.derived(
        prefix + ".occupancy", [this] { return static_cast<double>(occupancy()); },
        "valid entries at the end of the run");
  }

  // Looks `key` up in set `index % sets`; counts a hit or a miss.
  const Value* lookup(const Key& key, std::uint64_t index) {
    ++lookups_;
    if (const Value* v = probe(key, index)) {
      ++hits_;
      return v;
    }
    ++misses_;
    return nullptr;
  }

  // Looks up without counting (for caches probed several ways, such as an
  // IOTLB probed once per page size; the caller counts with count_lookup).
  const Value* probe(const Key& key, std::uint64_t index) {
    if (!enabled_) return nullptr;
    const std::uint64_t s = index & (sets_ - 1);
    Entry* set = &entries_[s * ways_];
    for (std::uint32_t w = 0; w < ways_; ++w) {
      if (set[w].valid && set[w].key == key) {
        touch(s, w);
        return &set[w].value;
      }
    }
    return nullptr;
  }
  void count_lookup(bool hit) {
    ++lookups_;
    ++(hit ? hits_ : misses_);
  }

  void insert(const Key& key, const Value& value, std::uint64_t index) {
    if (!enabled_) return;
    const std::uint64_t s = index & (sets_ - 1);
    Entry* set = &entries_[s * ways_];
    // A refill of a present entry updates it in place; otherwise the first
    // invalid way, and only in a full set the policy's victim.
    std::uint32_t way = ways_;
    for (std::uint32_t w = 0; w < ways_ && way == ways_; ++w) {
      if (set[w].valid && set[w].key == key) way = w;
    }
    for (std::uint32_t w = 0; w < ways_ && way == ways_; ++w) {
      if (!set[w].valid) way = w;
    }
    if (way == ways_) {
      way = victim(s, set);
      ++evictions_;
    }
    ++fills_;
    set[way] = Entry{key, value, 0, true};
    touch(s, way);
  }

  // Removes every valid entry for which pred(key, value) holds; returns how many.
  template <class Pred>
  std::uint64_t invalidate_if(Pred pred) {
    std::uint64_t n = 0;
    for (Entry& e : entries_) {
      if (e.valid && pred(e.key, e.value)) {
        e.valid = false;
        ++n;
      }
    }
    invalidated_ += n;
    return n;
  }

  std::uint64_t occupancy() const {
    std::uint64_t n = 0;
    for (const Entry& e : entries_) n += e.valid ? 1 : 0;
    return n;
  }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    Key key{};
    Value value{};
    std::uint64_t stamp = 0;  // LRU: last use
    bool valid = false;
  };
  enum class Policy : std::uint8_t { Lru, TreePlru, Random };

  // Tree-PLRU keeps ways-1 bits per set in heap order (node n has children
  // 2n and 2n+1, ways are the leaves): a use points every node on the
  // way's path away from it; the victim follows the bits from the root.
  void touch(std::uint64_t set, std::uint32_t way) {
    if (policy_ == Policy::Lru) {
      entries_[set * ways_ + way].stamp = ++clock_;
    } else if (policy_ == Policy::TreePlru) {
      std::uint64_t& bits = plru_[set];
      std::uint32_t node = way + ways_;
      while (node > 1) {
        const std::uint32_t parent = node / 2;
        const std::uint64_t away = (node & 1) ? 0 : 1;  // right child used: point left
        bits = (bits & ~(1ull << parent)) | (away << parent);
        node = parent;
      }
    }
  }
  std::uint32_t victim(std::uint64_t set, const Entry* ways) {
    switch (policy_) {
      case Policy::TreePlru: {
        std::uint32_t node = 1;
        while (node < ways_) node = 2 * node + static_cast<std::uint32_t>((plru_[set] >> node) & 1);
        return node - ways_;
      }
      case Policy::Random:
        return static_cast<std::uint32_t>(rng_() % ways_);
      case Policy::Lru:
        break;
    }
    std::uint32_t oldest = 0;
    for (std::uint32_t w = 1; w < ways_; ++w) {
      if (ways[w].stamp < ways[oldest].stamp) oldest = w;
    }
    return oldest;
  }

  bool enabled_;
  std::uint32_t sets_, ways_;
  Policy policy_;
  std::vector<Entry> entries_;
  std::vector<std::uint64_t> plru_;
  std::mt19937_64 rng_;
  std::uint64_t clock_ = 0;
  std::uint64_t lookups_ = 0, hits_ = 0, misses_ = 0, fills_ = 0, evictions_ = 0, invalidated_ = 0;
};

}  // namespace iommu_sim
