// The storage every IOMMU translation cache shares: `sets` x `ways` entries,
// a replacement policy within a set, and per-cache counters. What a cache is
// tagged by and how it is indexed is its owner's business (Key and the set
// index it passes in).
//
// Real IOTLBs are fully associative with up to thousands of entries (sets =
// 1), so a lookup, fill or eviction in a wide set scans none of its ways: a
// tag index (chained hash buckets per set, keyed by the owner's index) finds
// an entry, an intrusive doubly linked list keeps LRU order, and a bitmap
// with a search hint finds the lowest free way. Tree-PLRU keeps its ways-1
// bits in as many 64-bit words per set as it needs. Everything lives in
// arrays sized at construction: nothing is allocated per lookup or fill.
// Only invalidate_if and occupancy visit every entry, as they must.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "model/random.h"
#include "model/stats.h"

namespace iommu_sim {

struct CacheParams {
  bool enabled = true;
  std::uint32_t sets = 16;
  std::uint32_t ways = 4;
  // lru, tree_plru (ways a power of two) or random.
  std::string replacement = "lru";
};

// Bounds of one cache's geometry (checked by the config loader and
// validate()): 16384 ways covers the largest fully associative IOTLBs
// (thousands of entries); the total keeps a cache's host memory bounded.
inline constexpr std::uint32_t kMaxCacheWays = 16384;
inline constexpr std::uint64_t kMaxCacheEntries = 1u << 20;

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
        set_shift_(static_cast<unsigned>(std::countr_zero(params.sets))),
        words_(ways_ / 64 + (ways_ % 64 != 0)),
        bucket_bits_(indexed() ? static_cast<unsigned>(std::bit_width(ways_ - 1)) : 0),
        policy_(params.replacement == "tree_plru" ? Policy::TreePlru
                : params.replacement == "random"  ? Policy::Random
                                                  : Policy::Lru),
        entries_(static_cast<std::size_t>(params.sets) * params.ways),
        links_(indexed() ? entries_.size() : 0),
        free_(static_cast<std::size_t>(params.sets) * words_),
        free_hint_(params.sets, 0),
        lru_(policy_ == Policy::Lru && indexed() ? params.sets : 0),
        plru_(policy_ == Policy::TreePlru ? static_cast<std::size_t>(params.sets) * words_ : 0),
        buckets_(indexed() ? static_cast<std::size_t>(params.sets) << bucket_bits_ : 0, kNone),
        rng_(cache_seed(seed, prefix)) {
    for (std::uint64_t s = 0; s < sets_; ++s) {
      for (std::uint32_t w = 0; w < ways_; ++w) free_word(s, w) |= bit(w);
    }
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
  // `index` must be the same for every probe and fill of one key.
  const Value* probe(const Key& key, std::uint64_t index) {
    if (!enabled_) return nullptr;
    const std::uint64_t s = index & (sets_ - 1);
    const std::uint32_t way = find(s, key, index);
    if (way == kNone) return nullptr;
    touch(s, way);
    return &entry(s, way).value;
  }
  void count_lookup(bool hit) {
    ++lookups_;
    ++(hit ? hits_ : misses_);
  }

  void insert(const Key& key, const Value& value, std::uint64_t index) {
    if (!enabled_) return;
    const std::uint64_t s = index & (sets_ - 1);
    // A refill of a present entry updates it in place; otherwise the lowest
    // invalid way, and only in a full set the policy's victim.
    std::uint32_t way = find(s, key, index);
    if (way == kNone) {
      way = lowest_free(s);
      if (way == kNone) {
        way = victim(s);
        remove(s, way);
        ++evictions_;
      }
      add(s, way, key, index);
    }
    ++fills_;
    entry(s, way).value = value;
    touch(s, way);
  }

  // Removes every valid entry for which pred(key, value) holds; returns how many.
  template <class Pred>
  std::uint64_t invalidate_if(Pred pred) {
    std::uint64_t n = 0;
    for (std::uint64_t s = 0; s < sets_; ++s) {
      for (std::uint32_t w = 0; w < ways_; ++w) {
        const Entry& e = entry(s, w);
        if (e.valid && pred(e.key, e.value)) {
          remove(s, w);
          ++n;
        }
      }
    }
    invalidated_ += n;
    return n;
  }

  std::uint64_t occupancy() const {
    std::uint64_t free = 0;
    for (std::uint64_t word : free_) free += static_cast<std::uint64_t>(std::popcount(word));
    return entries_.size() - free;
  }
  std::uint64_t hits() const { return hits_; }
  bool enabled() const { return enabled_; }
  // The set a key with `index` lives in (for traces).
  std::uint64_t set_of(std::uint64_t index) const { return index & (sets_ - 1); }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t evictions() const { return evictions_; }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  // Up to this many ways a probe compares every way's tag (and LRU stamps
  // the way it uses); above it, a probe follows the tag index. Measured
  // with BM_IotlbProbeHit (bench/bench_translation.cpp: random hits over a
  // full IOTLB, 2-core x86 host, ns per probe): 16 x 4 scanned 9.8 (9.1
  // before the index existed; BM_Functional_AllHit, whose DMAs probe
  // three 4-way caches, moved by under 2%), indexed 10.3; 8 x 8 scanned
  // 11.0, indexed 5.6; 1 x 64 to 1 x 4096 indexed 5.0-6.1 (scanned 26 to
  // 1100).
  static constexpr std::uint32_t kScanWays = 4;

  // What a scan reads, laid out as before the index existed (an IOTLB
  // entry fills one 64-byte line); an indexed set's links live apart.
  struct Entry {
    Key key{};
    Value value{};
    std::uint64_t stamp = 0;  // LRU of a scanned set: last use
    bool valid = false;       // also kept in free_, to find a free way
  };
  struct Links {
    std::uint32_t chain = kNone;  // next way in this entry's tag bucket
    std::uint32_t bucket = 0;     // its tag bucket in the set, to unlink on removal
    std::uint32_t newer = kNone;  // LRU list neighbours
    std::uint32_t older = kNone;
  };
  struct LruList {
    std::uint32_t newest = kNone, oldest = kNone;
  };
  enum class Policy : std::uint8_t { Lru, TreePlru, Random };

  bool indexed() const { return ways_ > kScanWays; }
  Entry& entry(std::uint64_t set, std::uint32_t way) { return entries_[set * ways_ + way]; }
  Links& links(std::uint64_t set, std::uint32_t way) { return links_[set * ways_ + way]; }
  static std::uint64_t bit(std::uint32_t way) { return 1ull << (way % 64); }
  std::uint64_t& free_word(std::uint64_t set, std::uint32_t way) {
    return free_[set * words_ + way / 64];
  }

  // The owner's index already chose the set with its low bits; the bits
  // above them, scrambled (Fibonacci hashing, Knuth TAOCP 6.4), pick the
  // bucket, so sequential pages and spread-out ones both fill buckets evenly.
  std::uint32_t bucket(std::uint64_t index) const {
    const std::uint64_t tag = (index >> set_shift_) * 0x9e3779b97f4a7c15ull;
    return static_cast<std::uint32_t>(tag >> (64 - bucket_bits_));
  }
  std::uint32_t& head(std::uint64_t set, std::uint32_t bucket) {
    return buckets_[(set << bucket_bits_) | bucket];
  }

  std::uint32_t find(std::uint64_t set, const Key& key, std::uint64_t index) {
    if (!indexed()) {
      const Entry* ways = &entries_[set * ways_];
      for (std::uint32_t w = 0; w < ways_; ++w) {
        if (ways[w].valid && ways[w].key == key) return w;
      }
      return kNone;
    }
    for (std::uint32_t w = head(set, bucket(index)); w != kNone; w = links(set, w).chain) {
      if (entry(set, w).key == key) return w;
    }
    return kNone;
  }

  // The lowest invalid way. free_hint_ is a word below which every way is
  // valid, so a full set answers at once and filling a set is amortised O(1).
  std::uint32_t lowest_free(std::uint64_t set) {
    std::uint32_t& hint = free_hint_[set];
    for (; hint < words_; ++hint) {
      if (const std::uint64_t word = free_[set * words_ + hint]; word != 0) {
        return hint * 64 + static_cast<std::uint32_t>(std::countr_zero(word));
      }
    }
    return kNone;
  }

  void add(std::uint64_t set, std::uint32_t way, const Key& key, std::uint64_t index) {
    Entry& e = entry(set, way);
    e.key = key;
    e.valid = true;
    free_word(set, way) &= ~bit(way);
    if (indexed()) {
      if (policy_ == Policy::Lru) link_newest(set, way);
      Links& l = links(set, way);
      l.bucket = bucket(index);
      l.chain = head(set, l.bucket);
      head(set, l.bucket) = way;
    }
  }

  void remove(std::uint64_t set, std::uint32_t way) {
    entry(set, way).valid = false;
    free_word(set, way) |= bit(way);
    free_hint_[set] = std::min(free_hint_[set], way / 64);
    if (indexed()) {
      if (policy_ == Policy::Lru) unlink_lru(set, way);
      const Links& l = links(set, way);
      std::uint32_t* link = &head(set, l.bucket);
      while (*link != way) link = &links(set, *link).chain;
      *link = l.chain;
    }
  }

  void unlink_lru(std::uint64_t set, std::uint32_t way) {
    const Links& l = links(set, way);
    LruList& list = lru_[set];
    (l.newer == kNone ? list.newest : links(set, l.newer).older) = l.older;
    (l.older == kNone ? list.oldest : links(set, l.older).newer) = l.newer;
  }

  void link_newest(std::uint64_t set, std::uint32_t way) {
    Links& l = links(set, way);
    LruList& list = lru_[set];
    l.newer = kNone;
    l.older = list.newest;
    (list.newest == kNone ? list.oldest : links(set, list.newest).newer) = way;
    list.newest = way;
  }

  // LRU: a scanned set stamps the used way and evicts the oldest stamp (one
  // write per hit, cheapest for a few ways); an indexed set moves the used
  // way to the newest end of a list of its valid ways and evicts the other
  // end. Both evict the least recently used way. Tree-PLRU keeps ways-1 bits per set in heap order
  // (node n has children 2n and 2n+1, ways are the leaves): a use points every node on the way's
  // path away from it; the victim follows the bits from the root.
  void touch(std::uint64_t set, std::uint32_t way) {
    if (policy_ == Policy::Lru) {
      if (!indexed()) {
        entry(set, way).stamp = ++clock_;
      } else if (lru_[set].newest != way) {
        unlink_lru(set, way);
        link_newest(set, way);
      }
    } else if (policy_ == Policy::TreePlru) {
      std::uint64_t* bits = &plru_[set * words_];
      for (std::uint32_t node = way + ways_; node > 1; node /= 2) {
        const std::uint32_t parent = node / 2;
        const std::uint64_t away = (node & 1) ? 0 : 1;  // right child used: point left
        bits[parent / 64] = (bits[parent / 64] & ~bit(parent)) | (away << (parent % 64));
      }
    }
  }

  std::uint32_t victim(std::uint64_t set) {
    switch (policy_) {
      case Policy::TreePlru: {
        const std::uint64_t* bits = &plru_[set * words_];
        std::uint32_t node = 1;
        while (node < ways_) {
          node = 2 * node + static_cast<std::uint32_t>((bits[node / 64] >> (node % 64)) & 1);
        }
        return node - ways_;
      }
      case Policy::Random:
        return static_cast<std::uint32_t>(rng_() % ways_);
      case Policy::Lru:
        break;
    }
    if (indexed()) return lru_[set].oldest;
    const Entry* ways = &entries_[set * ways_];
    std::uint32_t oldest = 0;
    for (std::uint32_t w = 1; w < ways_; ++w) {
      if (ways[w].stamp < ways[oldest].stamp) oldest = w;
    }
    return oldest;
  }

  bool enabled_;
  std::uint32_t sets_, ways_;
  unsigned set_shift_;    // log2(sets)
  std::uint32_t words_;   // 64-bit words per set for per-way bits
  unsigned bucket_bits_;  // log2(tag buckets per set); 0 when scanning
  Policy policy_;
  std::vector<Entry> entries_;
  std::vector<Links> links_;         // indexed sets only
  std::vector<std::uint64_t> free_;  // a set bit per invalid way
  std::vector<std::uint32_t> free_hint_;
  std::vector<LruList> lru_;
  std::vector<std::uint64_t> plru_;
  std::vector<std::uint32_t> buckets_;  // per set, the first way of each tag bucket
  Rng rng_;
  std::uint64_t clock_ = 0;
  std::uint64_t lookups_ = 0, hits_ = 0, misses_ = 0, fills_ = 0, evictions_ = 0, invalidated_ = 0;
};

}  // namespace iommu_sim
