#include "model/oracle/dma_oracle.h"

#include <string_view>
#include <systemc>

#include "model/hex.h"
#include "model/oracle/reference_walk.h"
#include "model/trace.h"

namespace iommu_sim {

namespace {
const char* source_name(TranslationSource s) {
  switch (s) {
    case TranslationSource::Walk:
      return "page walk";
    case TranslationSource::Iotlb:
      return "IOTLB";
    case TranslationSource::MergedWalk:
      return "IOTLB entry of a walk in flight";
    case TranslationSource::PassThrough:
      return "pass-through";
    case TranslationSource::DeviceTlb:
      return "device TLB (ATS)";
  }
  return "?";
}
std::string ns(std::uint64_t ps) {
  return std::to_string(ps / 1000) + " ns";
}
}  // namespace

std::string Violation::to_string() const {
  if (!peer.empty()) {
    return kind + " at " + ns(at_ps) + ": " + Bdf::from_rid(request.source_id).to_string() +
           (request.write ? " write " : " read ") + hex(request.iova) + " reached the BAR of " +
           peer + " (IOMMU group " + std::to_string(peer_group) +
           ") peer to peer, without the IOMMU; the requester is in group " +
           std::to_string(requester_group);
  }
  std::string s = kind + " at " + ns(at_ps) + ": " + Bdf::from_rid(request.source_id).to_string() +
                  " PASID " + std::to_string(pasid) + (request.write ? " write " : " read ") +
                  hex(request.iova) + " went to " + hex(used) + "; memory now " +
                  (reference ? "maps it to " + hex(*reference) : std::string("denies it")) +
                  ". Translation from the " + source_name(source);
  if (source == TranslationSource::Iotlb || source == TranslationSource::MergedWalk) {
    s += " (DID " + std::to_string(did) + ", filled at " + ns(filled_ps) + ")";
  } else if (source == TranslationSource::DeviceTlb) {
    s += " (filled at " + ns(filled_ps) + ")";
  }
  static constexpr const char* kEntry[] = {"", "", "PDE", "PDPTE", "PML4E", "PML5E"};
  if (fl_psc_level != 0) {
    s += std::string(", walk resumed from a ") + kEntry[fl_psc_level] +
         " in the first-level paging-structure cache";
  }
  if (sl_psc_level != 0) {
    s += std::string(", second-level walk resumed from a ") + kEntry[sl_psc_level] +
         " in the second-level paging-structure cache";
  }
  if (pasid_cached) s += ", PASID entry from the PASID cache";
  if (context_cached) s += ", context entry from the context cache";
  if (kind == "stale_translation") s += "; the host's change there settled at " + ns(settled_ps);
  if (landed_ps != 0) s += ", and the DMA, translated before that, completed after it";
  return s;
}

nlohmann::json Violation::to_json() const {
  return {{"kind", kind},
          {"at_ns", at_ps / 1000.0},
          {"requester", Bdf::from_rid(request.source_id).to_string()},
          {"pasid", pasid},
          {"write", request.write},
          {"iova", hex(request.iova)},
          {"used", hex(used)},
          {"reference", reference ? nlohmann::json(hex(*reference)) : nlohmann::json(nullptr)},
          {"source", peer.empty() ? source_name(source) : "peer to peer, without the IOMMU"},
          {"pasid_cached", pasid_cached},
          {"context_cached", context_cached},
          {"did", did},
          {"fl_psc_level", fl_psc_level},
          {"sl_psc_level", sl_psc_level},
          {"filled_ns", filled_ps / 1000.0},
          {"settled_ns", settled_ps / 1000.0},
          {"landed_ns", landed_ps / 1000.0},
          {"peer", peer.empty() ? nlohmann::json(nullptr) : nlohmann::json(peer)},
          {"requester_group", requester_group},
          {"peer_group", peer_group}};
}

DmaOracle::DmaOracle(const OracleParams& params, const SparseMemory& memory, const Iommu& iommu,
                     const Topology& topology, StatsRegistry& stats)
    : params_(params), memory_(memory), iommu_(iommu), topology_(topology) {
  stats.counter("oracle.checked", &checked_,
                "DMAs the oracle checked (oracle.enabled): translated ones against the tables in "
                "memory, peer-to-peer ones the fabric delivered against the IOMMU groups");
  stats.counter("oracle.violations.stale_translation", &stale_,
                "DMAs that used a translation after the host's change to it had settled "
                "(its invalidation completed)");
  stats.counter("oracle.violations.isolation_breach", &breaches_,
                "DMAs that reached an address their requester was never given, or a BAR "
                "outside its IOMMU group peer to peer without the IOMMU");
  stats.counter("oracle.lazy_window_uses", &lazy_uses_,
                "DMAs that used a translation after its lazy unmap had returned and before the "
                "flush queue's flush settled it: the exposure lazy mode accepts, not a violation "
                "(listed under lazy_window_uses)");
  // The listings restart with the counters they list (docs/running.md).
  stats.on_restart([this](std::uint64_t /*epoch_ps*/) {
    listed_.clear();
    lazy_listed_.clear();
  });
}

boost::icl::discrete_interval<std::uint64_t> DmaOracle::range(std::uint64_t lo, std::uint64_t hi) {
  return boost::icl::discrete_interval<std::uint64_t>::right_open(lo, hi);
}

void DmaOracle::changing(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                         std::uint64_t hi) {
  pending_[{rid, pasid}].add(range(lo, hi));
  changes_[{rid, pasid}].push_back({lo, hi, sc_core::sc_time_stamp().value()});
}

void DmaOracle::settled(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                        std::uint64_t hi) {
  const Key key{rid, pasid};
  pending_[key].subtract(range(lo, hi));
  if (auto r = returned_.find(key); r != returned_.end()) r->second.subtract(range(lo, hi));
  settled_[key].add(range(lo, hi));
  const std::uint64_t now = sc_core::sc_time_stamp().value();
  settles_[key].push_back({lo, hi, now});
}

void DmaOracle::unmap_returned(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                               std::uint64_t hi) {
  returned_[{rid, pasid}].add(range(lo, hi));
}

void DmaOracle::translated(const TranslationRequest& request, const TranslationResult& result) {
  ++checked_;
  const std::uint64_t now = sc_core::sc_time_stamp().value();
  const auto reference =
      reference_translate(memory_, iommu_.root_table(), iommu_.address_width(), request);
  const auto in_flight = std::make_tuple(request.source_id, result.pasid, request.iova, now);
  if (reference && *reference == result.address) {
    in_flight_.emplace(in_flight, true);
    return;
  }
  const Key key{request.source_id, result.pasid};
  if (auto p = pending_.find(key);
      p != pending_.end() && boost::icl::contains(p->second, request.iova)) {
    in_flight_.emplace(in_flight, false);  // the host's change is still in progress
    if (auto r = returned_.find(key);
        r != returned_.end() && boost::icl::contains(r->second, request.iova)) {
      note_lazy_use(request, result, reference);
    }
    return;
  }
  const auto s = settled_.find(key);
  const bool stale = s != settled_.end() && boost::icl::contains(s->second, request.iova);
  record(stale ? "stale_translation" : "isolation_breach", request, result, reference,
         stale ? settles_.at(key).back().at_ps : 0, 0);
}

void DmaOracle::note_lazy_use(const TranslationRequest& request, const TranslationResult& result,
                              const std::optional<std::uint64_t>& reference) {
  ++lazy_uses_;
  const bool traced = trace::on(trace::Category::Oracle);
  if (lazy_listed_.size() >= params_.max_listed && !traced) return;
  Violation v = describe("lazy_window_use", request, result, reference);
  if (traced) [[unlikely]]
    trace_finding(v);
  if (lazy_listed_.size() < params_.max_listed) lazy_listed_.push_back(std::move(v));
}

void DmaOracle::peer_access(int source, int target, const tlm::tlm_generic_payload& p,
                            const PcieAttrs& attrs) {
  ++checked_;
  if (attrs.at == AddressType::Translated) return;
  const TopoNode& from = topology_.nodes[static_cast<std::size_t>(source)];
  const TopoNode& to = topology_.nodes[static_cast<std::size_t>(target)];
  if (from.group == to.group) return;
  ++breaches_;
  const bool traced = trace::on(trace::Category::Oracle);
  if (listed_.size() >= params_.max_listed && !traced) return;
  Violation v;
  v.kind = "isolation_breach";
  v.at_ps = sc_core::sc_time_stamp().value();
  v.request =
      TranslationRequest{attrs.requester_id, attrs.pasid_present, attrs.pasid,  p.get_address(),
                         p.is_write(),       attrs.privileged,    attrs.execute};
  v.pasid = attrs.pasid_present ? attrs.pasid : 0;
  v.used = p.get_address();
  v.peer = to.name;
  v.requester_group = from.group;
  v.peer_group = to.group;
  if (traced) [[unlikely]]
    trace_finding(v);
  if (listed_.size() < params_.max_listed) listed_.push_back(std::move(v));
}

bool DmaOracle::covers(const std::vector<Event>& events, std::uint64_t iova,
                       std::uint64_t after_ps) {
  for (auto it = events.rbegin(); it != events.rend() && it->at_ps > after_ps; ++it) {
    if (it->lo <= iova && iova < it->hi) return true;
  }
  return false;
}

void DmaOracle::landed(const TranslationRequest& request, const TranslationResult& result,
                       std::uint64_t translated_ps) {
  const auto it = in_flight_.find(
      std::make_tuple(request.source_id, result.pasid, request.iova, translated_ps));
  if (it == in_flight_.end()) return;  // reported when it was translated
  const bool fresh = it->second;
  in_flight_.erase(it);
  const Key key{request.source_id, result.pasid};
  // Nothing changed for this requester and PASID since the translation:
  // nothing to check (the common case, without a second walk).
  const auto changes = changes_.find(key);
  const auto settles = settles_.find(key);
  const bool changed = changes != changes_.end() && changes->second.back().at_ps > translated_ps;
  const bool settled = settles != settles_.end() && settles->second.back().at_ps > translated_ps;
  if (!changed && !settled) return;
  const auto reference =
      reference_translate(memory_, iommu_.root_table(), iommu_.address_width(), request);
  if (reference && *reference == result.address) return;
  if (auto p = pending_.find(key);
      p != pending_.end() && boost::icl::contains(p->second, request.iova)) {
    return;  // a change in progress still allows the old translation
  }
  // The DMA completed after the host was told its translation was gone: a
  // fresh translation removed by a change begun after it, or one only a
  // pending change allowed, whose change has settled since.
  const bool late = fresh ? changed && covers(changes->second, request.iova, translated_ps)
                          : settled && covers(settles->second, request.iova, translated_ps);
  if (!late) return;
  // A change no longer pending has settled: the key has settle events.
  record("stale_translation", request, result, reference,
         settles == settles_.end() ? 0 : settles->second.back().at_ps,
         sc_core::sc_time_stamp().value());
}

Violation DmaOracle::describe(const char* kind, const TranslationRequest& request,
                              const TranslationResult& result,
                              const std::optional<std::uint64_t>& reference) const {
  Violation v;
  v.kind = kind;
  v.at_ps = sc_core::sc_time_stamp().value();
  v.request = request;
  v.pasid = result.pasid;
  v.used = result.address;
  v.reference = reference;
  v.source = result.source;
  v.context_cached = result.context_cached;
  v.pasid_cached = result.pasid_cached;
  v.did = result.did;
  v.fl_psc_level = result.fl_psc_level;
  v.sl_psc_level = result.sl_psc_level;
  v.filled_ps = result.filled_ps;
  return v;
}

void DmaOracle::record(const char* kind, const TranslationRequest& request,
                       const TranslationResult& result,
                       const std::optional<std::uint64_t>& reference, std::uint64_t settled_ps,
                       std::uint64_t landed_ps) {
  const bool stale = std::string_view(kind) == "stale_translation";
  ++(stale ? stale_ : breaches_);
  const bool traced = trace::on(trace::Category::Oracle);
  if (listed_.size() >= params_.max_listed && !traced) return;
  Violation v = describe(kind, request, result, reference);
  v.settled_ps = settled_ps;
  v.landed_ps = landed_ps;
  if (traced) [[unlikely]]
    trace_finding(v);
  if (listed_.size() < params_.max_listed) listed_.push_back(std::move(v));
}

// A finding with the provenance the listing gives it, as an instant on the
// oracle's timeline track (every finding, listed or only counted).
void DmaOracle::trace_finding(const Violation& v) const {
  trace::Event e;
  e.category = trace::Category::Oracle;
  e.what = v.kind == "stale_translation"  ? "oracle.stale_translation"
           : v.kind == "isolation_breach" ? "oracle.isolation_breach"
                                          : "oracle.lazy_window_use";
  e.time_ps = v.at_ps;
  e.requester = v.request.source_id;
  e.pasid = v.pasid;
  e.text = v.to_string();
  e.fields = {{"iova", v.request.iova}, {"used", v.used}, {"write", v.request.write ? 1u : 0u}};
  if (v.reference) e.fields.emplace_back("reference", *v.reference);
  e.track = "oracle.findings";
  e.flow = v.request.trace_id;
  trace::emit(e);
}

nlohmann::json DmaOracle::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : listed_) list.push_back(v.to_json());
  nlohmann::json lazy = nlohmann::json::array();
  for (const auto& v : lazy_listed_) lazy.push_back(v.to_json());
  nlohmann::json out = {{"enabled", params_.enabled},
                        {"checked", checked_},
                        {"violations", stale_ + breaches_},
                        {"listed", list},
                        {"lazy_window_uses", lazy}};
  out["not_listed"] = not_listed();  // the violations beyond oracle.max_listed
  return out;
}

}  // namespace iommu_sim
