// The ordering and isolation oracle. It sees every DMA the IOMMU lets
// through (with where its translation came from) and every change the host
// makes to what a device may reach (begun, then settled once its
// invalidations completed). For each DMA it compares the address used with
// what the tables in memory allow now (reference_translate):
//   - the same: fine;
//   - different, while a change covering (requester, PASID, IOVA) is not
//     settled yet: allowed, hardware may still hold the old translation;
//   - different otherwise: a violation. "stale_translation" when the host
//     had settled a change there (ordering: the device used what it should
//     no longer have), "isolation_breach" when it never had such a
//     translation to lose.
#pragma once

#include <boost/icl/interval_set.hpp>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "iommu/iommu.h"
#include "model/host/change_listener.h"
#include "model/oracle/oracle_params.h"
#include "model/sparse_memory.h"
#include "model/stats.h"
#include "pcie/peer_access_observer.h"
#include "pcie/topology.h"

namespace iommu_sim {

struct Violation {
  std::string kind;  // stale_translation | isolation_breach | lazy_window_use (listed apart)
  std::uint64_t at_ps = 0;
  TranslationRequest request;
  std::uint32_t pasid = 0;                 // effective PASID
  std::uint64_t used = 0;                  // address the DMA went to
  std::optional<std::uint64_t> reference;  // what memory allows now, if anything
  TranslationSource source = TranslationSource::Walk;
  bool context_cached = false, pasid_cached = false;
  std::uint16_t did = 0;
  std::uint8_t fl_psc_level = 0, sl_psc_level = 0;  // PSC entries a walk resumed from
  std::uint64_t filled_ps = 0;                      // when the IOTLB entry used was filled
  std::uint64_t settled_ps = 0;                     // when the host's change there was settled
  std::uint64_t landed_ps = 0;                      // landing checks: when the DMA completed
  // Peer to peer without the IOMMU: the function whose BAR was reached, and
  // the IOMMU groups of requester and target.
  std::string peer;
  int requester_group = -1, peer_group = -1;
  std::string to_string() const;
  nlohmann::json to_json() const;
};

class DmaOracle : public TranslationObserver, public ChangeListener, public PeerAccessObserver {
 public:
  // `topology` gives the IOMMU groups peer-to-peer requests are checked
  // against.
  DmaOracle(const OracleParams& params, const SparseMemory& memory, const Iommu& iommu,
            const Topology& topology, StatsRegistry& stats);

  void translated(const TranslationRequest& request, const TranslationResult& result) override;
  // A DMA that lands after a change covering it settled, where the change
  // settled after the DMA was translated, is a stale_translation too: the
  // hardware let the host's wait complete before the DMA had finished.
  void landed(const TranslationRequest& request, const TranslationResult& result,
              std::uint64_t translated_ps) override;
  void changing(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                std::uint64_t hi) override;
  void settled(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo, std::uint64_t hi) override;
  // From now until settled(), a DMA through the old translation is a lazy
  // window use (oracle.lazy_window_uses), listed like a violation but not one.
  void unmap_returned(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                      std::uint64_t hi) override;
  // An untranslated request the fabric delivered to a peer's BAR never met
  // the IOMMU: allowed only inside the requester's IOMMU group, which the
  // host treats as one unit (Linux pci_device_group). A translated one
  // carries an address its device TLB gave, checked when it was sent.
  void peer_access(int source, int target, const tlm::tlm_generic_payload& p,
                   const PcieAttrs& attrs) override;

  std::uint64_t checked() const { return checked_; }
  std::uint64_t violations() const { return stale_ + breaches_; }
  std::uint64_t lazy_window_uses() const { return lazy_uses_; }
  const std::vector<Violation>& lazy_listed() const { return lazy_listed_; }
  // The first oracle.max_listed violations, with provenance; the rest are
  // only counted.
  const std::vector<Violation>& listed() const { return listed_; }
  std::uint64_t not_listed() const { return violations() - listed_.size(); }
  nlohmann::json to_json() const;

 private:
  using Key = std::pair<std::uint16_t, std::uint32_t>;  // requester ID, PASID
  using Ranges = boost::icl::interval_set<std::uint64_t>;
  // [lo, hi) as an ICL interval; hi = ~0 means "to the end".
  static boost::icl::discrete_interval<std::uint64_t> range(std::uint64_t lo, std::uint64_t hi);

  OracleParams params_;
  const SparseMemory& memory_;
  const Iommu& iommu_;
  const Topology& topology_;
  std::map<Key, Ranges> pending_;   // changes begun, not settled
  std::map<Key, Ranges> settled_;   // ranges some change was settled in
  std::map<Key, Ranges> returned_;  // lazily unmapped, returned, not settled
  struct Event {
    std::uint64_t lo, hi, at_ps;
  };
  std::map<Key, std::vector<Event>> changes_;  // changing() calls, in time order
  std::map<Key, std::vector<Event>> settles_;  // settled() calls, in time order
  // DMAs translated and not yet landed, by (requester, PASID, IOVA, when
  // translated): whether memory gave the same translation then ("fresh")
  // or only a pending change allowed it.
  std::multimap<std::tuple<std::uint16_t, std::uint32_t, std::uint64_t, std::uint64_t>, bool>
      in_flight_;
  static bool covers(const std::vector<Event>& events, std::uint64_t iova, std::uint64_t after_ps);
  void record(const char* kind, const TranslationRequest& request, const TranslationResult& result,
              const std::optional<std::uint64_t>& reference, std::uint64_t settled_ps,
              std::uint64_t landed_ps);
  Violation describe(const char* kind, const TranslationRequest& request,
                     const TranslationResult& result,
                     const std::optional<std::uint64_t>& reference) const;
  void note_lazy_use(const TranslationRequest& request, const TranslationResult& result,
                     const std::optional<std::uint64_t>& reference);
  void trace_finding(const Violation& v) const;
  std::vector<Violation> listed_, lazy_listed_;
  std::uint64_t checked_ = 0, stale_ = 0, breaches_ = 0, lazy_uses_ = 0;
};

}  // namespace iommu_sim
