// The IOTLB: leaf translations tagged by domain ID, PASID, page number and
// page size (VT-d spec 6.2.3 "IOTLB"). A 2 MiB or 1 GiB mapping is one entry;
// a lookup probes each page size that has been filled since the last global
// flush, smallest first.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "iommu/set_associative_cache.h"

namespace iommu_sim {

struct IotlbKey {
  std::uint16_t did = 0;
  std::uint32_t pasid = 0;
  std::uint64_t page = 0;  // iova >> page_shift
  std::uint8_t page_shift = 12;
  bool operator==(const IotlbKey&) const = default;
};

// Leaf translation with the permissions accumulated over the walk. A nested
// translation caches the combined result (VT-d spec 6.2.3: the IOTLB holds
// input-to-host-physical translations): the smaller of the two page sizes,
// first-level rights in `writable`/`user`/`execute_disable`, second-level
// rights in `readable`/`sl_writable`.
struct IotlbEntry {
  std::uint64_t output_page = 0;  // physical address of the page
  std::uint8_t page_shift = 12;
  bool writable = true;  // first-level R/W (true without a first level)
  bool user = true;      // first-level U/S
  bool execute_disable = false;
  bool readable = true;     // second-level R (true without a second level)
  bool sl_writable = true;  // second-level W
  // Every Dirty flag a write needs is already set; a write that hits an
  // entry without it walks again so the flags are set in memory
  // (Intel SDM Vol. 3 4.8, as the VT-d spec 3.6.3 requires for first level).
  bool dirty = true;
  // Simulated time (ps) the walk that filled the entry ended: provenance
  // for the ordering oracle.
  std::uint64_t filled_ps = 0;
};

class Iotlb {
 public:
  Iotlb(const CacheParams& params, StatsRegistry& stats, const std::string& prefix,
        std::uint64_t seed = 0)
      : cache_(params, stats, prefix, seed) {}

  // Looks up and counts a hit or a miss.
  const IotlbEntry* lookup(std::uint16_t did, std::uint32_t pasid, std::uint64_t iova) {
    const IotlbEntry* e = probe(did, pasid, iova);
    cache_.count_lookup(e != nullptr);
    return e;
  }

  // Looks up without counting (a request that already missed and waited).
  const IotlbEntry* probe(std::uint16_t did, std::uint32_t pasid, std::uint64_t iova) {
    for (std::uint8_t shift : kShifts) {
      if ((filled_shifts_ & (1u << shift_slot(shift))) == 0) continue;
      const IotlbKey key{did, pasid, iova >> shift, shift};
      if (const IotlbEntry* e = cache_.probe(key, index(key))) return e;
    }
    return nullptr;
  }

  void insert(std::uint16_t did, std::uint32_t pasid, std::uint64_t iova, const IotlbEntry& e) {
    const IotlbKey key{did, pasid, iova >> e.page_shift, e.page_shift};
    filled_shifts_ |= 1u << shift_slot(e.page_shift);
    cache_.insert(key, e, index(key));
  }

  std::uint64_t invalidate_all() {
    filled_shifts_ = 0;
    return cache_.invalidate_if([](const IotlbKey&, const IotlbEntry&) { return true; });
  }
  std::uint64_t invalidate_domain(std::uint16_t did) {
    return cache_.invalidate_if([=](const IotlbKey& k, const IotlbEntry&) { return k.did == did; });
  }
  std::uint64_t invalidate_pasid(std::uint16_t did, std::uint32_t pasid) {
    return cache_.invalidate_if(
        [=](const IotlbKey& k, const IotlbEntry&) { return k.did == did && k.pasid == pasid; });
  }
  // Entries of `did` (and `pasid` if given) whose page overlaps the naturally
  // aligned 2^(12+am)-byte region containing `addr` (VT-d spec 6.5.2.3/6.5.2.4:
  // the address mask selects the low address bits to ignore).
  std::uint64_t invalidate_range(std::uint16_t did, std::optional<std::uint32_t> pasid,
                                 std::uint64_t addr, unsigned am) {
    const std::uint64_t size = 1ull << (12 + am);
    const std::uint64_t lo = addr & ~(size - 1);
    const std::uint64_t hi = lo + size;  // exclusive
    return cache_.invalidate_if([=](const IotlbKey& k, const IotlbEntry&) {
      if (k.did != did || (pasid && k.pasid != *pasid)) return false;
      const std::uint64_t page_lo = k.page << k.page_shift;
      const std::uint64_t page_hi = page_lo + (1ull << k.page_shift);
      return page_lo < hi && lo < page_hi;
    });
  }

  // The probes a lookup of `iova` makes, smallest page first: one per page
  // size filled since the last global flush (for traces).
  struct Probe {
    std::uint8_t page_shift;
    std::uint64_t page;
    std::uint64_t set;
  };
  std::vector<Probe> probes(std::uint16_t did, std::uint32_t pasid, std::uint64_t iova) const {
    std::vector<Probe> out;
    for (std::uint8_t shift : kShifts) {
      if ((filled_shifts_ & (1u << shift_slot(shift))) == 0) continue;
      const IotlbKey key{did, pasid, iova >> shift, shift};
      out.push_back({shift, key.page, cache_.set_of(index(key))});
    }
    return out;
  }
  bool enabled() const { return cache_.enabled(); }

  std::uint64_t occupancy() const { return cache_.occupancy(); }
  std::uint64_t hits() const { return cache_.hits(); }
  std::uint64_t misses() const { return cache_.misses(); }
  std::uint64_t evictions() const { return cache_.evictions(); }

 private:
  static constexpr std::uint8_t kShifts[] = {12, 21, 30};
  static constexpr unsigned shift_slot(std::uint8_t shift) {
    return shift == 12 ? 0 : shift == 21 ? 1 : 2;
  }
  static std::uint64_t index(const IotlbKey& k) {
    // Consecutive pages fall in consecutive sets; PASID and domain spread
    // different address spaces over the sets.
    return k.page ^ (static_cast<std::uint64_t>(k.pasid) * 0x9e3779b1u) ^
           (static_cast<std::uint64_t>(k.did) * 0x85ebca6bu);
  }

  SetAssociativeCache<IotlbKey, IotlbEntry> cache_;
  unsigned filled_shifts_ = 0;
};

}  // namespace iommu_sim
