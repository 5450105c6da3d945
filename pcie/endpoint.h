// A PCI function: the DMA engine's requests enter at `dma_in` and leave on
// the link (the fabric's, which times it) with the requester ID the fabric
// gives them stamped into PcieAttrs (hardware, not the workload, decides the
// requester ID). A read needs a tag per read request until its completions
// are back (PCIe Base spec 2.2.6.2): with every tag taken, the next read
// waits for one (pcie.<function>.tag_waits).
//
// With ATS (pcie.endpoints[].ats) the function keeps its own address
// translation cache (PCIe Base spec 10: the "device TLB"): an untranslated
// request it has no translation for first sends a Translation Request up
// the link, caches the completion's translation, and then goes out as a
// translated request that the IOMMU lets through without translating. The
// IOMMU's Invalidate Requests arrive at `ats_invalidation`; they complete
// only once the DMAs in flight that used a translation have finished
// (PCIe Base spec 10.3.1).
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <boost/circular_buffer.hpp>
#include <boost/container/flat_set.hpp>
#include <systemc>
#include <tlm>

#include "iommu/set_associative_cache.h"
#include "iommu/translation_observer.h"
#include "model/direct_target_socket.h"
#include "model/kernel_clock.h"
#include "model/pcie_attrs.h"
#include "model/stats.h"
#include "model/timing_mode.h"
#include "model/trace.h"
#include "pcie/dma_issue_observer.h"
#include "pcie/pcie_params.h"

namespace iommu_sim {

class Endpoint : public sc_core::sc_module {
  // dma_in's target, declared before it names it.
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);

 public:
  // Any number of DMA engines (workloads, test probes), including none.
  DirectTargetSocket<Endpoint, &Endpoint::b_transport> dma_in;
  tlm_utils::simple_initiator_socket<Endpoint> link;
  // Bound only for functions with ATS.
  tlm_utils::multi_passthrough_target_socket<Endpoint, 32, tlm::tlm_base_protocol_types, 1,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      ats_invalidation;

  // `function` names the statistics (pcie.<function>.*); `requester_id` is
  // what the function's requests carry on the wire: its own BDF, or for a
  // conventional PCI device its PCIe-to-PCI bridge's alias. `seed` drives
  // the ATC's random replacement.
  // `tags` and `mrrs` bound its outstanding reads (pcie.endpoints[].tags,
  // .link.mrrs); `dma_latency` is the device's own time per DMA.
  Endpoint(sc_core::sc_module_name name, const std::string& function, Bdf bdf, Bdf requester_id,
           const AtsParams& ats, std::uint32_t tags, std::uint32_t mrrs,
           sc_core::sc_time dma_latency, TimingMode mode, std::uint64_t seed, StatsRegistry& stats);

  Bdf bdf() const { return bdf_; }
  Bdf requester_id() const { return requester_id_; }
  bool ats() const { return ats_; }
  // Told of every DMA sent with a translation from the ATC (the oracle).
  void set_observer(TranslationObserver* observer) { observer_ = observer; }
  // Told of every DMA as it enters dma_in, as function `index` (the trace
  // recorder).
  void set_issue_observer(DmaIssueObserver* observer, std::uint16_t index) {
    issue_observer_ = observer;
    issue_index_ = index;
  }

 private:
  // endpoint_trace.cpp: a traced DMA's start and end (model/trace.h).
  trace::Event dma_event(trace::Phase phase, std::string_view what, const PcieAttrs& attrs,
                         const sc_core::sc_time& delay) const;
  void trace_issue(const tlm::tlm_generic_payload& p, PcieAttrs& attrs,
                   const sc_core::sc_time& delay) const;
  void trace_complete(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                      const sc_core::sc_time& delay) const;
  struct AtcEntry;
  // An ATC probe (`filled` false: `entry` is what it found, or null) or fill.
  void trace_atc(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs, const AtcEntry* entry,
                 bool filled, const sc_core::sc_time& delay) const;
  std::string function_;
  // An ATC entry covers the page size the Translation Completion gave:
  // 4 KiB, 2 MiB or 1 GiB.
  struct AtcKey {
    bool pasid_present = false;
    std::uint32_t pasid = 0;
    std::uint64_t page = 0;  // untranslated address >> shift
    std::uint8_t shift = 12;
    bool operator==(const AtcKey&) const = default;
  };
  struct AtcEntry {
    std::uint64_t page = 0;  // translated address of the page
    std::uint8_t shift = 12;
    bool read = false, write = false;
    std::uint64_t filled_ps = 0;
  };
  static std::uint64_t atc_index(const AtcKey& k) { return k.page ^ (k.pasid * 0x9e3779b1ull); }
  // The entry for `iova` of any size, probing each size ever cached.
  const AtcEntry* atc_lookup(bool pasid_present, std::uint32_t pasid, std::uint64_t iova);

  void note_issue(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                  const sc_core::sc_time& delay);
  // Translates through the ATC (asking the IOMMU on a miss) and sends `p`
  // as a translated request.
  void send_translated(tlm::tlm_generic_payload& p, PcieAttrs& attrs, sc_core::sc_time& delay);
  void invalidate(int, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  // Sends `p` over the link. A read (Timed mode) first takes its tags,
  // from when they are free, and gives them back when its completion has
  // arrived. Inline: every DMA passes here.
  void send_tagged(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    // Functional mode has no contention; posted writes need no tag.
    const std::uint32_t n = mode_ == TimingMode::Timed ? tags_for(p) : 0;
    if (n == 0) {
      link->b_transport(p, delay);
    } else {
      send_with_tags(p, n, delay);
    }
  }
  // Sends `p`, which needs `n` tags.
  void send_with_tags(tlm::tlm_generic_payload& p, std::uint32_t n, sc_core::sc_time& delay);
  // Tags a request needs: one per read request; none for a posted write.
  std::uint32_t tags_for(const tlm::tlm_generic_payload& p) const;
  // Takes a tag for a request arriving at `arrival` (ps); returns when it
  // is free.
  std::uint64_t take_tag(std::uint64_t arrival);

  Bdf bdf_;
  Bdf requester_id_;
  std::uint32_t mrrs_;
  std::uint32_t tags_;
  sc_core::sc_time dma_latency_;
  // When each tag not out on a request is free again (Timed mode), in ps,
  // in the order the tags came back.
  // A ring of the function's tag count (never more are free): a read takes
  // from the front and gives back at the back with no allocation.
  boost::circular_buffer<std::uint64_t> free_tags_;
  sc_core::sc_event tag_returned_;
  unsigned tag_waiters_ = 0;
  std::uint64_t tag_waits_ = 0;
  bool ats_;
  sc_core::sc_time invalidation_latency_;
  TimingMode mode_;
  KernelClock clock_;
  SetAssociativeCache<AtcKey, AtcEntry> atc_;
  unsigned atc_shifts_ = 0;  // bit n: entries of 2^n bytes were cached
  TranslationObserver* observer_ = nullptr;
  DmaIssueObserver* issue_observer_ = nullptr;
  std::uint16_t issue_index_ = 0;
  bool waits_for_dmas_;  // false: ats.bug = invalidation_completes_before_dmas
  // Translated requests sent (numbered in order) and not yet past the IOMMU.
  std::uint64_t next_dma_ = 0;
  boost::container::flat_set<std::uint64_t> in_flight_;
  // When the translated requests sent so far finish: a write visible in
  // memory, a read's data back in the device.
  sc_core::sc_time dmas_done_ = sc_core::SC_ZERO_TIME;
  std::uint64_t invalidations_ = 0;  // Invalidate Requests received so far
  sc_core::sc_event dma_done_;
  std::uint64_t requests_ = 0, unsupported_ = 0;
  std::uint64_t translation_requests_ = 0, translation_failures_ = 0, invalidate_requests_ = 0;
};

}  // namespace iommu_sim
