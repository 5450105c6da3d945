// The storage every IOMMU translation cache shares: `sets` x `ways` entries,
// LRU replacement within a set, and per-cache counters. What a cache is
// tagged by and how it is indexed is its owner's business (Key and the set
// index it passes in).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/stats.h"

namespace iommu_sim {

struct CacheParams {
  bool enabled = true;
  std::uint32_t sets = 16;
  std::uint32_t ways = 4;
};

template <class Key, class Value>
class SetAssociativeCache {
 public:
  SetAssociativeCache(const CacheParams& params, StatsRegistry& stats, const std::string& prefix)
      : enabled_(params.enabled),
        sets_(params.sets),
        ways_(params.ways),
        entries_(static_cast<std::size_t>(params.sets) * params.ways) {
    stats.counter(prefix + ".lookups", &lookups_, "lookups");
    stats.counter(prefix + ".hits", &hits_, "lookups that found a valid matching entry");
    stats.counter(prefix + ".misses", &misses_, "lookups that found none");
    stats.counter(prefix + ".fills", &fills_, "entries written after a miss");
    stats.counter(prefix + ".evictions", &evictions_, "valid entries replaced by a fill (LRU)");
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
    Entry* set = &entries_[(index & (sets_ - 1)) * ways_];
    for (std::uint32_t w = 0; w < ways_; ++w) {
      if (set[w].valid && set[w].key == key) {
        set[w].stamp = ++clock_;
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
    Entry* set = &entries_[(index & (sets_ - 1)) * ways_];
    Entry* victim = &set[0];
    for (std::uint32_t w = 0; w < ways_; ++w) {
      Entry& e = set[w];
      if (e.valid && e.key == key) {  // refill of a present entry: update in place
        victim = &e;
        break;
      }
      if (!e.valid) {
        if (victim->valid) victim = &e;
      } else if (victim->valid && e.stamp < victim->stamp) {
        victim = &e;
      }
    }
    if (victim->valid && !(victim->key == key)) ++evictions_;
    ++fills_;
    *victim = Entry{key, value, ++clock_, true};
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
    std::uint64_t stamp = 0;
    bool valid = false;
  };
  bool enabled_;
  std::uint32_t sets_, ways_;
  std::vector<Entry> entries_;
  std::uint64_t clock_ = 0;
  std::uint64_t lookups_ = 0, hits_ = 0, misses_ = 0, fills_ = 0, evictions_ = 0, invalidated_ = 0;
};

}  // namespace iommu_sim
