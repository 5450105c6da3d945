#pragma once

#include <cstdint>

#include "iommu/set_associative_cache.h"
#include "model/param.h"

namespace iommu_sim {

// Visits the fields of a CacheParams under a cache-specific name and default source.
template <class V>
void visit_cache(V& v, CacheParams& c, std::string_view source) {
  v(c.enabled, {"enabled", "", "on, as in hardware", "Whether this cache is used at all."});
  v(c.sets, {"sets", "sets", source, "Number of sets; entries = sets x ways.", 1, 1 << 20, true});
  v(c.ways, {"ways", "ways", source, "Associativity; replacement within a set is LRU.", 1, 64});
}

struct IotlbCacheParams : CacheParams {
  IotlbCacheParams() { sets = 16, ways = 4; }
  template <class V>
  void visit(V& v) {
    visit_cache(v, *this,
                "64 entries (16 x 4): pcie-bench (SIGCOMM 2018) sees IOTLB misses start "
                "beyond a 256 KiB working set of 4 KiB pages on Intel Xeon, i.e. 64 entries");
  }
};
struct ContextCacheParams : CacheParams {
  ContextCacheParams() { sets = 4, ways = 4; }
  template <class V>
  void visit(V& v) {
    visit_cache(v, *this, "assumed: 16 entries; Intel does not publish the size");
  }
};
struct PasidCacheParams : CacheParams {
  PasidCacheParams() { sets = 8, ways = 4; }
  template <class V>
  void visit(V& v) {
    visit_cache(v, *this, "assumed: 32 entries; Intel does not publish the size");
  }
};

struct IommuParams {
  double lookup_latency_ns = 3.0;
  double descriptor_latency_ns = 10.0;
  double register_latency_ns = 50.0;
  std::uint32_t fault_records = 8;
  std::uint32_t address_width = 48;
  std::uint32_t walk_engines = 4;
  bool merge_misses = true;
  IotlbCacheParams iotlb;
  ContextCacheParams context_cache;
  PasidCacheParams pasid_cache;

  template <class V>
  void visit(V& v) {
    v(lookup_latency_ns,
      {"lookup_latency_ns", "ns",
       "assumed: 3 cycles of a 1 GHz IOMMU clock for parallel SRAM tag lookups",
       "Time to look up the context cache, PASID cache and IOTLB (in parallel). A hit costs "
       "exactly this; a miss costs this plus the walk.",
       0.0, 1e6});
    v(descriptor_latency_ns,
      {"descriptor_latency_ns", "ns", "assumed: 10 cycles of a 1 GHz clock per descriptor",
       "Time the invalidation engine spends executing one descriptor after fetching it.", 0.0,
       1e9});
    v(register_latency_ns,
      {"register_latency_ns", "ns", "assumed: an uncached MMIO access of ~50 ns",
       "Latency of a host read or write of an IOMMU register.", 0.0, 1e9});
    v(fault_records,
      {"fault_records", "records",
       "8: CAP.NFR+1 on common Intel server IOMMUs (Linux reads it as cap_num_fault_regs)",
       "Number of primary fault recording registers (CAP.NFR + 1). Faults "
       "beyond them set FSTS.PFO and are lost (iommu.faults.overflow).",
       1, 256});
    v(address_width,
      {"address_width", "bits", "48: first-level 4-level paging input width (VT-d spec 3.6)",
       "Maximum guest address width (CAP.MGAW + 1) advertised to software. It also "
       "decides the paging modes offered: 4-level second-level tables (CAP.SAGAW bit 2) "
       "from 48, 5-level first- and second-level tables (CAP.FL5LP, SAGAW bit 3) at 57. "
       "A PASID entry asking for more is invalid (fault 0x5b).",
       39, 57});
    v(walk_engines,
      {"walk_engines", "walks", "assumed: 4 concurrent page walks; Intel does not publish it",
       "Timed mode: page walks that may be in progress at once. A miss that "
       "finds them all busy waits for one (iommu.walk.engine_wait).",
       1, 1024});
    v(merge_misses, {"merge_misses", "", "on: hardware walkers merge misses to one page",
                     "Timed mode: a miss to a 4 KiB page already being walked for the same "
                     "domain and PASID waits for that walk instead of starting another "
                     "(iommu.walk.merged)."});
    v.group("iotlb", iotlb, "IOTLB: leaf translations (64 entries by default)");
    v.group("context_cache", context_cache, "context cache, tagged by source ID");
    v.group("pasid_cache", pasid_cache, "PASID cache, tagged by PASID directory and PASID");
  }
};

}  // namespace iommu_sim
