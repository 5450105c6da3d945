#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "iommu/set_associative_cache.h"
#include "model/param.h"

namespace iommu_sim {

// Visits the fields of a CacheParams under a cache-specific name and default source.
static_assert(kMaxCacheEntries == 1048576, "the ways doc below states the bound");
template <class V>
void visit_cache(V& v, CacheParams& c, std::string_view source) {
  v(c.enabled, {"enabled", "", "on, as in hardware", "Whether this cache is used at all."},
    "this cache's counters (lookups, hits, misses, fills, evictions, occupancy), iommu.walk.*");
  v(c.sets, {"sets", "sets", source, "Number of sets; entries = sets x ways.", 1, 1 << 20, true},
    "this cache's hits, misses, evictions");
  v(c.ways,
    {"ways", "ways", source,
     "Associativity; sets = 1 makes the cache fully associative, as real IOTLBs of up to "
     "thousands of entries are. sets x ways may not exceed 1048576 entries.",
     1, kMaxCacheWays},
    "this cache's hits, misses, evictions");
  v(c.replacement,
    {"replacement",
     "",
     "lru: the usual assumption in IOMMU studies; Intel does not publish the policy",
     "Victim choice within a full set: lru (least recently used), tree_plru (tree "
     "pseudo-LRU, ways must be a power of two) or random (seeded from the run's seed).",
     0,
     0,
     false,
     {"lru", "tree_plru", "random"}},
    "this cache's hits, misses, evictions");
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

// One paging-structure cache level.
struct PscLevelParams : CacheParams {
  PscLevelParams(std::uint32_t s, std::uint32_t w) { sets = s, ways = w; }
  template <class V>
  void visit(V& v) {
    visit_cache(v, *this,
                "assumed: Intel does not publish the sizes of the IOMMU's paging-structure caches");
  }
};

// The paging-structure caches of one table format, one per non-leaf level.
struct PscParams {
  PscLevelParams pml5{1, 2};
  PscLevelParams pml4{1, 2};
  PscLevelParams pdpt{1, 4};
  PscLevelParams pd{4, 8};
  std::array<const CacheParams*, 4> by_level() const { return {&pd, &pdpt, &pml4, &pml5}; }
  template <class V>
  void visit(V& v) {
    v.group("pd", pd, "PDE cache (2 MiB regions): the walk resumes at the page table");
    v.group("pdpt", pdpt, "PDPTE cache (1 GiB regions): resumes at the page directory");
    v.group("pml4", pml4, "PML4E cache (512 GiB regions): resumes at the PDPT");
    v.group("pml5", pml5, "PML5E cache (256 TiB regions, 5-level tables): resumes at the PML4");
  }
};

struct IommuParams {
  double lookup_latency_ns = 3.0;
  double descriptor_latency_ns = 10.0;
  double register_latency_ns = 50.0;
  std::uint32_t fault_records = 8;
  std::uint32_t domain_id_bits = 16;
  std::uint32_t address_width = 48;
  std::uint32_t host_address_width = 46;
  std::uint32_t walk_engines = 4;
  bool merge_misses = true;
  IotlbCacheParams iotlb;
  ContextCacheParams context_cache;
  PasidCacheParams pasid_cache;
  double psc_lookup_latency_ns = 1.0;
  double walk_llc_hit_fraction = 0.0;
  double walk_llc_latency_ns = 25.0;
  PscParams fl_psc;
  PscParams sl_psc;
  std::string bug = "none";
  double device_tlb_message_latency_ns = 500.0;
  double device_tlb_timeout_ns = 1e6;

  // Every cache with its config path, for checks across fields.
  std::vector<std::pair<std::string, const CacheParams*>> caches() const {
    std::vector<std::pair<std::string, const CacheParams*>> out{
        {"iommu.iotlb", &iotlb},
        {"iommu.context_cache", &context_cache},
        {"iommu.pasid_cache", &pasid_cache}};
    for (const auto& [name, psc] : {std::pair{"fl_psc", &fl_psc}, std::pair{"sl_psc", &sl_psc}}) {
      const std::string base = std::string("iommu.") + name;
      out.emplace_back(base + ".pd", &psc->pd);
      out.emplace_back(base + ".pdpt", &psc->pdpt);
      out.emplace_back(base + ".pml4", &psc->pml4);
      out.emplace_back(base + ".pml5", &psc->pml5);
    }
    return out;
  }

  template <class V>
  void visit(V& v) {
    v(lookup_latency_ns,
      {"lookup_latency_ns", "ns",
       "assumed: 3 cycles of a 1 GHz IOMMU clock for parallel SRAM tag lookups",
       "Time to look up the context cache, PASID cache and IOTLB (in parallel). A hit costs "
       "exactly this; a miss costs this plus the walk.",
       0.0, 1e6},
      "iommu.translation_latency, workload.*.latency");
    v(descriptor_latency_ns,
      {"descriptor_latency_ns", "ns", "assumed: 10 cycles of a 1 GHz clock per descriptor",
       "Time the invalidation engine spends executing one descriptor after fetching it.", 0.0, 1e9},
      "simulated time of invalidations (strict unmap duration)");
    v(register_latency_ns,
      {"register_latency_ns", "ns", "assumed: an uncached MMIO access of ~50 ns",
       "Latency of a host read or write of an IOMMU register.", 0.0, 1e9},
      "simulated time of host set-up and unmap");
    v(domain_id_bits,
      {"domain_id_bits", "bits",
       "16: CAP.ND=6, what Intel's IOMMUs report (Linux cap_ndoms = 65536)",
       "Width of domain IDs, an even number (CAP.ND = (bits - 4) / 2): the IOMMU offers "
       "2^bits - 1 domains (ID 0 is reserved). Address spaces, HWPTs and DMA API domains past "
       "that are refused (ENOSPC), never given a shared ID.",
       4, 16},
      "how many address spaces and HWPTs a platform may have");
    v(fault_records,
      {"fault_records", "records",
       "8: CAP.NFR+1 on common Intel server IOMMUs (Linux reads it as cap_num_fault_regs)",
       "Number of primary fault recording registers (CAP.NFR + 1). Faults "
       "beyond them set FSTS.PFO and are lost (iommu.faults.overflow).",
       1, 256},
      "iommu.faults.recorded, iommu.faults.overflow");
    v(address_width,
      {"address_width", "bits", "48: first-level 4-level paging input width (VT-d spec 3.6)",
       "Maximum guest address width (CAP.MGAW + 1) advertised to software. It also "
       "decides the paging modes offered: 4-level second-level tables (CAP.SAGAW bit 2) "
       "from 48, 5-level first- and second-level tables (CAP.FL5LP, SAGAW bit 3) at 57. "
       "A PASID entry asking for more is invalid (fault 0x5b).",
       39, 57},
      "iommu.faults.reason.0x5b, 0x83");
    v(host_address_width,
      {"host_address_width", "bits",
       "46: the DMAR table's Host Address Width on recent Xeon platforms (their CPUs' "
       "MAXPHYADDR)",
       "Host address width (HAW, ACPI DMAR table): paging-entry address bits at and above "
       "it are reserved, so an entry pointing there faults (0x72 first-level, 0x7a "
       "second-level; VT-d spec 9.8, SDM Vol. 3 4.5) instead of sending a DMA outside the "
       "platform. Memory may end below it (memory.address_bits): an address between the "
       "two is an access error.",
       32, 52},
      "iommu.faults.reason.0x72, iommu.faults.reason.0x7a");
    v(walk_engines,
      {"walk_engines", "walks", "assumed: 4 concurrent page walks; Intel does not publish it",
       "Timed mode: page walks that may be in progress at once. A miss that "
       "finds them all busy waits for one (iommu.walk.engine_wait).",
       1, 1024},
      "iommu.walk.engine_wait, iommu.translation_latency");
    v(merge_misses,
      {"merge_misses", "", "on: hardware walkers merge misses to one page",
       "Timed mode: a miss to a 4 KiB page already being walked for the same "
       "domain and PASID waits for that walk instead of starting another "
       "(iommu.walk.merged)."},
      "iommu.walk.merged, iommu.walk.count");
    v.group("iotlb", iotlb, "IOTLB: leaf translations (64 entries by default)");
    v.group("context_cache", context_cache, "context cache, tagged by source ID");
    v.group("pasid_cache", pasid_cache, "PASID cache, tagged by PASID directory and PASID");
    v(psc_lookup_latency_ns,
      {"psc_lookup_latency_ns", "ns",
       "assumed: one cycle of a 1 GHz clock, after the IOTLB miss is known",
       "Time to probe the paging-structure caches of one walk (first- or second-level; a "
       "nested walk probes the second-level ones once per second-level walk). Not paid when "
       "every cache of that format is disabled.",
       0.0, 1e6},
      "iommu.translation_latency");
    v(walk_llc_hit_fraction,
      {"walk_llc_hit_fraction", "",
       "0: every translation-structure read goes to memory, the pessimistic bound",
       "Probability that a walk's read of a root, context, PASID or paging entry hits in a "
       "cache near the IOMMU (coherent page walk, ECAP.C=1) instead of memory; drawn per "
       "read from the run's seed (iommu.walk.llc_hits).",
       0.0, 1.0},
      "iommu.walk.llc_hits, memory.reads, iommu.translation_latency");
    v(walk_llc_latency_ns,
      {"walk_llc_latency_ns", "ns",
       "assumed: ~25 ns, the order of a last-level-cache hit on a server CPU",
       "Latency of a translation-structure read that hits that cache; it does not occupy "
       "the memory channel.",
       0.0, 1e6},
      "iommu.translation_latency");
    v.group("fl_psc", fl_psc,
            "first-level paging-structure caches (VT-d spec 6.2.4), tagged by domain ID and "
            "PASID; nested, they hold the host-physical address of the next table");
    v.group("sl_psc", sl_psc,
            "second-level paging-structure caches (VT-d spec 6.2.4), tagged by domain ID");
    v(device_tlb_message_latency_ns,
      {"device_tlb_message_latency_ns", "ns",
       "assumed: ~500 ns, a message through the root complex and a switch or two",
       "One-way time of an ATS Invalidate Request from the IOMMU to a device, and of its "
       "completion back (the messages are not routed through the modelled switches).",
       0.0, 1e9},
      "iommu.ats.invalidation_time, simulated time of unmap with ATS devices");
    v(device_tlb_timeout_ns,
      {"device_tlb_timeout_ns", "ns",
       "assumed: 1 ms; the VT-d time-out is implementation specific (PCIe allows a device "
       "a minute)",
       "A device-TLB invalidation whose completion takes longer sets FSTS.ITE and stops "
       "the invalidation queue (VT-d spec 6.5.2.10).",
       1.0, 1e12},
      "iommu.qi.device_tlb_timeouts");
    v(bug,
      {"bug",
       "",
       "none: the IOMMU as the specification requires",
       "A hardware bug to model, for the bug library (configs/bugs/): "
       "walk_installs_after_invalidation lets a page walk that was in flight when an "
       "invalidation executed install its (stale) result and use it, instead of walking again; "
       "wait_completes_before_drain ignores the drain of IOTLB invalidations (DR/DW), so a "
       "wait completes while DMAs translated with the old entries are still on their way to "
       "memory.",
       0,
       0,
       false,
       {"none", "walk_installs_after_invalidation", "wait_completes_before_drain"}},
      "oracle.violations.stale_translation");
  }
};

}  // namespace iommu_sim
