// The translation process of a scalable-mode VT-d remapping unit (VT-d spec
// 3.4.3 "Scalable-Mode Address Translation"): source ID -> root entry ->
// scalable-mode context entry -> PASID directory entry -> PASID table entry
// -> first-level page walk, each step served from its cache when it can be.
// Every structure is read from simulated memory through the TablePort.
#pragma once

#include <boost/container/flat_set.hpp>
#include <cstdint>
#include <optional>
#include <systemc>
#include <tuple>
#include <unordered_map>

#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_root_context.h"
#include "iommu/iommu_params.h"
#include "iommu/iotlb.h"
#include "iommu/paging_structure_cache.h"
#include "iommu/set_associative_cache.h"
#include "iommu/table_port.h"
#include "iommu/translation.h"
#include "model/random.h"
#include "model/stats.h"

namespace iommu_sim {

// What the context cache holds of a scalable-mode context entry.
struct ContextInfo {
  std::uint64_t pasid_dir = 0;  // PASID directory base address
  std::uint8_t pdts = 0;        // directory has 2^(pdts+7) entries
  std::uint32_t rid_pasid = 0;
  bool fpd = false;
  bool dte = false;  // device-TLB (ATS) requests allowed
};

// What the PASID cache holds of a PASID table entry (and its directory entry).
struct PasidInfo {
  std::uint16_t did = 0;
  std::uint8_t pgtt = 0;
  std::uint64_t fl_table = 0;  // FLPTPTR (a guest-physical address when nested)
  std::uint64_t sl_table = 0;  // SLPTPTR
  std::uint8_t fl_levels = 4;  // 4 or 5 (FLPM)
  std::uint8_t sl_levels = 4;  // 3, 4 or 5 (AW)
  bool sre = false;            // supervisor requests enabled
  bool wpe = false;            // write protect enable for supervisor requests
  bool ssee = false;           // second-level execute permission checked
  bool ssade = false;          // second-level A/D updates enabled
  bool fpd = false;
};

// A second-level leaf: where a guest-physical (or, second-level only, IO
// virtual) page lands and what the walk allowed.
struct SecondLevelLeaf {
  std::uint64_t output_page = 0;
  std::uint8_t page_shift = 12;
  bool r = false, w = false, x = false;
  bool dirty = false;  // D set (or no A/D tracking)
};

struct PasidKey {
  std::uint64_t pasid_dir = 0;
  std::uint32_t pasid = 0;
  bool operator==(const PasidKey&) const = default;
};

class Translator {
 public:
  // `seed` drives random cache replacement.
  Translator(const IommuParams& params, TablePort& port, TimingMode mode, std::uint64_t seed,
             StatsRegistry& stats, const std::string& prefix);

  // `root_table` is the latched RTADDR. Timed mode: enters with a zero delay
  // and waits for each memory read; Functional mode: adds to `delay`.
  TranslationResult translate(const TranslationRequest& r, std::uint64_t root_table,
                              sc_core::sc_time& delay);

  Iotlb& iotlb() { return iotlb_; }
  SetAssociativeCache<std::uint16_t, ContextInfo>& context_cache() { return context_cache_; }
  SetAssociativeCache<PasidKey, PasidInfo>& pasid_cache() { return pasid_cache_; }
  PagingStructureCaches& fl_psc() { return fl_psc_; }
  PagingStructureCaches& sl_psc() { return sl_psc_; }

  // Whether `sid`'s context entry allows translated and translation
  // requests (DTE, VT-d spec 9.4), from the context cache or memory.
  bool device_tlb_enabled(std::uint16_t sid, std::uint64_t root_table, sc_core::sc_time& delay);

  // The invalidation engine executed a descriptor: whatever a translation
  // in flight read before it may be stale, so it must not install its
  // result (it starts again) unless iommu.bug keeps the hardware bug. A
  // descriptor that names a domain (`did`: IOTLB, PASID-based IOTLB and
  // PASID-cache invalidations of a domain or PASID, VT-d spec 6.5.2)
  // affects only what is tagged with it, so only that domain's translations
  // start again: another tenant's invalidations cannot hold them back.
  void note_invalidation(std::optional<std::uint16_t> did) {
    ++invalidations_;
    if (did) {
      domain_invalidated_[*did] = invalidations_;
    } else {
      global_invalidated_ = invalidations_;
    }
  }

 private:
  using FaultReason = iommu::vtd::FaultReason;
  // A step of translate(): go on, stop with `res` as it is, or start again
  // (an invalidation executed while the step read structures).
  // The steps are inlined into translate() (their hits are the hot path);
  // each miss is a function of its own, out of line.
  enum class Step : std::uint8_t { Go, Stop, Restart };
  [[gnu::always_inline]] Step lookup_context(const TranslationRequest& r, std::uint64_t root_table,
                                             std::uint64_t epoch,
                                             std::optional<ContextInfo>& fetched,
                                             const ContextInfo*& ctx, sc_core::sc_time& delay,
                                             TranslationResult& res);
  [[gnu::noinline]] Step context_miss(const TranslationRequest& r, std::uint64_t root_table,
                                      std::uint64_t epoch, std::optional<ContextInfo>& fetched,
                                      const ContextInfo*& ctx, sc_core::sc_time& delay,
                                      TranslationResult& res);
  [[gnu::always_inline]] Step lookup_pasid(const TranslationRequest& r, const ContextInfo& ctx,
                                           std::uint64_t epoch, std::optional<PasidInfo>& fetched,
                                           const PasidInfo*& pe, sc_core::sc_time& delay,
                                           TranslationResult& res);
  [[gnu::noinline]] Step pasid_miss(const TranslationRequest& r, const ContextInfo& ctx,
                                    const PasidKey& key, std::uint64_t epoch,
                                    std::optional<PasidInfo>& fetched, const PasidInfo*& pe,
                                    sc_core::sc_time& delay, TranslationResult& res);
  [[gnu::always_inline]] Step check_request(const TranslationRequest& r, const PasidInfo& pe,
                                            TranslationResult& res) const;
  [[gnu::always_inline]] Step iotlb_or_walk(const TranslationRequest& r, const PasidInfo& pe,
                                            std::uint64_t epoch, std::optional<IotlbEntry>& walked,
                                            const IotlbEntry*& entry, sc_core::sc_time& delay,
                                            TranslationResult& res);
  [[gnu::noinline]] Step iotlb_miss(const TranslationRequest& r, const PasidInfo& pe,
                                    std::uint64_t epoch, std::optional<IotlbEntry>& walked,
                                    const IotlbEntry*& entry, sc_core::sc_time& delay,
                                    TranslationResult& res);
  [[gnu::always_inline]] void check_access(const TranslationRequest& r, const PasidInfo& pe,
                                           const IotlbEntry& e, TranslationResult& res) const;
  // Whether an invalidation of every domain, or of `did`, executed after
  // the first `epoch` ones (counts a restart).
  bool stale(std::uint64_t epoch, std::optional<std::uint16_t> did);

  std::optional<ContextInfo> fetch_context(const TranslationRequest& r, std::uint64_t root_table,
                                           sc_core::sc_time& delay, TranslationResult& res);
  std::optional<PasidInfo> fetch_pasid(const TranslationRequest& r, const ContextInfo& ctx,
                                       std::uint32_t pasid, sc_core::sc_time& delay,
                                       TranslationResult& res);
  // The page walk the PASID entry's PGTT selects (VT-d spec 3.6-3.8).
  std::optional<IotlbEntry> walk(const PasidInfo& pe, const TranslationRequest& r,
                                 sc_core::sc_time& delay, TranslationResult& res);
  std::optional<IotlbEntry> walk_first_level(const PasidInfo& pe, const TranslationRequest& r,
                                             bool nested, sc_core::sc_time& delay,
                                             TranslationResult& res);
  // Second-level walk of `gpa`; `write` asks for the dirty flag to be set.
  std::optional<SecondLevelLeaf> walk_second_level(const TranslationRequest& r, const PasidInfo& pe,
                                                   std::uint64_t gpa, bool write,
                                                   sc_core::sc_time& delay, TranslationResult& res);
  // Nested: the host-physical address of a first-level table or entry page
  // at guest-physical `gpa`, which the second level must let the walker read
  // (and write, for an A/D update). `root` marks the FLPTPTR itself.
  struct NestedTable {
    std::uint64_t address = 0;  // host-physical
    bool writable = false;      // second-level W: may the walker set A/D there
  };
  std::optional<NestedTable> nested_table_address(const TranslationRequest& r, const PasidInfo& pe,
                                                  std::uint64_t gpa, bool root,
                                                  sc_core::sc_time& delay, TranslationResult& res);
  // Timed mode: waits while the same page is being walked (miss merging)
  // and returns the IOTLB entry that walk left, if any.
  const IotlbEntry* wait_for_walk_in_flight(std::uint16_t did, std::uint32_t pasid,
                                            std::uint64_t iova);
  // Reads a translation structure: from memory, or with probability
  // iommu.walk_llc_hit_fraction from the cache near the IOMMU.
  template <std::size_t N>
  [[gnu::always_inline]] bool read_structure(std::uint64_t addr, std::array<std::uint64_t, N>& out,
                                             sc_core::sc_time& delay);
  void acquire_walk_engine();
  void release_walk_engine();
  static void fail(TranslationResult& res, FaultReason reason, bool fpd) {
    res.ok = false;
    res.reason = reason;
    res.fault_processing_disabled = res.fault_processing_disabled || fpd;
  }

  // translator_trace.cpp: the events of each traced decision (model/trace.h),
  // built only when their category is on.
  void trace_context_probe(const TranslationRequest& r, bool hit, const sc_core::sc_time& delay);
  void trace_root_read(const TranslationRequest& r, std::uint64_t at,
                       const std::array<std::uint64_t, 2>& raw,
                       const iommu::vtd::ScalableRootEntry& e, const sc_core::sc_time& delay);
  void trace_context_read(const TranslationRequest& r, std::uint64_t at,
                          const std::array<std::uint64_t, 4>& raw,
                          const iommu::vtd::ScalableContextEntry& e, const sc_core::sc_time& delay);
  void trace_pasid_probe(const TranslationRequest& r, const PasidKey& key, bool hit,
                         const sc_core::sc_time& delay);
  void trace_pasid_dir_read(const TranslationRequest& r, std::uint32_t pasid, std::uint64_t at,
                            std::uint64_t raw, const iommu::vtd::PasidDirEntry& e,
                            const sc_core::sc_time& delay);
  void trace_pasid_entry_read(const TranslationRequest& r, std::uint32_t pasid, std::uint64_t at,
                              const std::array<std::uint64_t, 8>& raw,
                              const iommu::vtd::PasidEntry& e, const sc_core::sc_time& delay);
  void trace_iotlb_probe(const TranslationRequest& r, std::uint16_t did, std::uint32_t pasid,
                         const IotlbEntry* hit, const sc_core::sc_time& delay);
  void trace_iotlb_fill(const TranslationRequest& r, std::uint16_t did, std::uint32_t pasid,
                        const IotlbEntry& e);
  void trace_psc_probe(const TranslationRequest& r, PagingStructureCaches& psc,
                       std::string_view name, std::uint16_t did, std::uint32_t pasid,
                       std::uint64_t input, unsigned top,
                       const std::optional<PagingStructureCaches::Hit>& hit,
                       const sc_core::sc_time& delay);
  void trace_walk(const TranslationRequest& r, const PasidInfo& pe, std::uint64_t id, bool begin,
                  const sc_core::sc_time& delay);
  void trace_fl_read(const TranslationRequest& r, std::uint32_t pasid, unsigned level,
                     std::uint64_t at, std::uint64_t raw, const iommu::vtd::FirstLevelEntry& e,
                     const sc_core::sc_time& delay);
  void trace_sl_read(const TranslationRequest& r, std::uint32_t pasid, unsigned level,
                     std::uint64_t input, std::uint64_t at, std::uint64_t raw,
                     const iommu::vtd::SecondLevelEntry& e, const sc_core::sc_time& delay);
  void trace_ad_update(const TranslationRequest& r, std::uint32_t pasid, std::uint64_t at,
                       std::uint64_t bits, const sc_core::sc_time& delay);
  static std::uint64_t pasid_index(const PasidKey& k) { return k.pasid ^ (k.pasid_dir >> 12); }

  TablePort& port_;
  TimingMode mode_;
  std::uint32_t address_width_;
  std::uint32_t host_address_width_;  // HAW: address bits above it are reserved
  bool merge_misses_;
  std::uint32_t free_engines_;
  sc_core::sc_time psc_latency_;
  double llc_fraction_;
  sc_core::sc_time llc_latency_;
  Rng llc_rng_;
  bernoulli_distribution<double> llc_draw_;
  // Pages being walked, as (DID, PASID, 4 KiB page number).
  boost::container::flat_set<std::tuple<std::uint16_t, std::uint32_t, std::uint64_t>> in_flight_;
  // Notified when a walk ends: an engine is free and in_flight_ changed.
  sc_core::sc_event walk_done_;
  SetAssociativeCache<std::uint16_t, ContextInfo> context_cache_;
  SetAssociativeCache<PasidKey, PasidInfo> pasid_cache_;
  Iotlb iotlb_;
  PagingStructureCaches fl_psc_;
  PagingStructureCaches sl_psc_;
  // Descriptors executed so far, and the count when the last one of every
  // domain and the last one of each domain executed.
  std::uint64_t invalidations_ = 0, global_invalidated_ = 0;
  std::unordered_map<std::uint16_t, std::uint64_t> domain_invalidated_;
  std::uint64_t walk_ids_ = 0;  // names each walk for traces and timelines
  bool installs_stale_walks_;   // iommu.bug = walk_installs_after_invalidation
  std::uint64_t walks_ = 0;
  std::uint64_t restarts_ = 0;
  std::uint64_t walk_reads_ = 0;
  std::uint64_t merged_ = 0;
  std::uint64_t engine_waits_ = 0;
  std::uint64_t ad_updates_ = 0;
  std::uint64_t llc_hits_ = 0;
};

}  // namespace iommu_sim
