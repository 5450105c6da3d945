// Paging-structure caches (VT-d spec 6.2.4): for one table format (first- or
// second-level), one cache per non-leaf level, each entry the address of the
// next table and the rights accumulated down to it, so a walk can resume
// below the levels it hits. First-level entries are tagged by domain ID and
// PASID, second-level ones by domain ID (PASID 0 here), and both by the
// input-address bits the entry's region covers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "iommu/set_associative_cache.h"

namespace iommu_sim {

struct PscKey {
  std::uint16_t did = 0;
  std::uint32_t pasid = 0;
  std::uint64_t tag = 0;  // input >> (12 + 9 * (level - 1))
  bool operator==(const PscKey&) const = default;
};

struct PscEntry {
  std::uint64_t table = 0;  // host-physical address of the next table
  // Rights ANDed (XD ORed) over the entries down to this one.
  bool writable = true, user = true, execute_disable = false;  // first-level
  bool r = true, w = true, x = true;                           // second-level
  // Nested: whether the second level lets the walker write the next table
  // (for Accessed/Dirty updates there).
  bool table_writable = true;
};

class PagingStructureCaches {
 public:
  // Levels 2 (PDE) to 5 (PML5E).
  static constexpr unsigned kLowest = 2, kHighest = 5;

  // `params` holds the PDE, PDPTE, PML4E and PML5E caches, in that order.
  PagingStructureCaches(const std::array<const CacheParams*, 4>& params, StatsRegistry& stats,
                        const std::string& prefix, std::uint64_t seed)
      : levels_{Cache(*params[0], stats, prefix + ".pd", seed),
                Cache(*params[1], stats, prefix + ".pdpt", seed),
                Cache(*params[2], stats, prefix + ".pml4", seed),
                Cache(*params[3], stats, prefix + ".pml5", seed)},
        enabled_(params[0]->enabled || params[1]->enabled || params[2]->enabled ||
                 params[3]->enabled) {}

  bool enabled() const { return enabled_; }

  struct Hit {
    unsigned level;  // of the cached entry: the walk resumes at level - 1
    PscEntry entry;
  };
  // The lowest cached level up to `top` that covers `input`, probing from
  // the PDE cache up and stopping at the first hit (each probe counts).
  std::optional<Hit> lookup(std::uint16_t did, std::uint32_t pasid, std::uint64_t input,
                            unsigned top) {
    for (unsigned level = kLowest; level <= top; ++level) {
      const PscKey key{did, pasid, tag(input, level)};
      if (const PscEntry* e = cache(level).lookup(key, index(key))) return Hit{level, *e};
    }
    return std::nullopt;
  }
  void insert(unsigned level, std::uint16_t did, std::uint32_t pasid, std::uint64_t input,
              const PscEntry& e) {
    if (level < kLowest) return;
    const PscKey key{did, pasid, tag(input, level)};
    cache(level).insert(key, e, index(key));
  }

  // Where `input` of level `level` would live (for traces): whether that
  // level's cache is on, its tag and its set.
  struct Slot {
    bool enabled;
    std::uint64_t tag;
    std::uint64_t set;
  };
  Slot slot(unsigned level, std::uint16_t did, std::uint32_t pasid, std::uint64_t input) {
    const PscKey key{did, pasid, tag(input, level)};
    return {cache(level).enabled(), key.tag, cache(level).set_of(index(key))};
  }

  void invalidate_all() {
    for (auto& c : levels_) c.invalidate_if([](const PscKey&, const PscEntry&) { return true; });
  }
  void invalidate_domain(std::uint16_t did) {
    for (auto& c : levels_) {
      c.invalidate_if([=](const PscKey& k, const PscEntry&) { return k.did == did; });
    }
  }
  void invalidate_pasid(std::uint16_t did, std::uint32_t pasid) {
    for (auto& c : levels_) {
      c.invalidate_if(
          [=](const PscKey& k, const PscEntry&) { return k.did == did && k.pasid == pasid; });
    }
  }
  // Entries of `did` (and `pasid` if given) whose region overlaps the
  // naturally aligned 2^(12+am)-byte region containing `addr`.
  void invalidate_range(std::uint16_t did, std::optional<std::uint32_t> pasid, std::uint64_t addr,
                        unsigned am) {
    const std::uint64_t size = 1ull << (12 + am);
    const std::uint64_t lo = addr & ~(size - 1), hi = lo + size;
    for (unsigned level = kLowest; level <= kHighest; ++level) {
      const unsigned shift = 12 + 9 * (level - 1);
      cache(level).invalidate_if([=](const PscKey& k, const PscEntry&) {
        if (k.did != did || (pasid && k.pasid != *pasid)) return false;
        const std::uint64_t region_lo = k.tag << shift;
        const std::uint64_t region_hi = region_lo + (1ull << shift);
        return region_lo < hi && lo < region_hi;
      });
    }
  }

 private:
  using Cache = SetAssociativeCache<PscKey, PscEntry>;
  Cache& cache(unsigned level) { return levels_[level - kLowest]; }
  static std::uint64_t tag(std::uint64_t input, unsigned level) {
    return input >> (12 + 9 * (level - 1));
  }
  static std::uint64_t index(const PscKey& k) {
    return k.tag ^ (static_cast<std::uint64_t>(k.pasid) * 0x9e3779b1u) ^
           (static_cast<std::uint64_t>(k.did) * 0x85ebca6bu);
  }

  std::array<Cache, 4> levels_;
  bool enabled_;
};

}  // namespace iommu_sim
