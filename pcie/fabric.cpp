#include "pcie/fabric.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "model/trace.h"
#include "pcie/acs.h"

namespace iommu_sim {

using sc_core::sc_time;

PcieFabric::PcieFabric(sc_core::sc_module_name name, const Topology& topology, FabricTiming timing,
                       TimingMode mode, StatsRegistry& stats)
    : sc_module(name),
      to_root_complex("to_root_complex"),
      from_root_complex("from_root_complex", this),
      t_(topology),
      timing_(std::move(timing)),
      mode_(mode),
      ports_(topology.nodes.size()),
      bar_accesses_(topology.nodes.size()) {
  function_ports_.resize(t_.nodes.size());
  for (std::size_t i = 0; i < t_.nodes.size(); ++i) {
    const TopoNode& n = t_.nodes[i];
    if (n.kind == NodeKind::RootPort || n.kind == NodeKind::SwitchDownstream) {
      const std::string prefix = "pcie.port." + n.name;
      stats.counter(prefix + ".p2p_direct", &ports_[i].direct,
                    "peer requests entering here delivered straight to a peer below the switch");
      stats.counter(prefix + ".p2p_redirected", &ports_[i].redirected,
                    "peer requests entering here sent upstream by ACS (RR, or EC with RR)");
      stats.counter(prefix + ".p2p_blocked", &ports_[i].blocked,
                    "peer requests entering here blocked by ACS egress control");
      stats.counter(prefix + ".p2p_completions_redirected", &ports_[i].completions_redirected,
                    "read completions from a peer below this port sent up to the root complex "
                    "by ACS completion redirect (CR)");
      stats.counter(prefix + ".acs_violations", &ports_[i].violations,
                    "requests entering here rejected by ACS source validation or translation "
                    "blocking (Completer Abort)");
    } else if (!is_bridge(n.kind)) {  // a function: its link's port, its BAR
      std::string port = "from_function_";
      port += std::to_string(i);
      function_ports_[i] = std::make_unique<FunctionPort>(port.c_str(), this, static_cast<int>(i));
      if (n.bar_size != 0) bar_owners_.emplace_back(n.bar_base, static_cast<int>(i));
      stats.counter("pcie." + n.name + ".bar_accesses", &bar_accesses_[i],
                    "requests that reached this function's BAR (peer-to-peer)");
    }
  }
  std::sort(bar_owners_.begin(), bar_owners_.end());
  for (std::size_t i = 0; i < t_.nodes.size(); ++i) {
    bool reachable = false;
    for (int n = t_.nodes[i].bridge; n >= 0; n = t_.nodes[n].bridge) {
      const NodeKind k = t_.nodes[n].kind;
      reachable = reachable || k == NodeKind::SwitchDownstream || k == NodeKind::PciBridge;
    }
    peer_reachable_.push_back(reachable);
  }
  stats.counter("pcie.p2p.via_root_complex", &via_root_complex_,
                "requests the root complex routed back down to a BAR after the IOMMU");
  build_links(stats);
}

void PcieFabric::build_links(StatsRegistry& stats) {
  link_of_node_.assign(t_.nodes.size(), -1);
  // The functions of one device share its link.
  std::map<std::pair<int, int>, int> device_links;
  std::vector<std::uint32_t> link_mps;  // by link
  for (std::size_t i = 0; i < t_.nodes.size(); ++i) {
    const TopoNode& n = t_.nodes[i];
    std::string name = n.name;
    if (n.kind == NodeKind::Endpoint) {
      // A VF uses its PF's link, whatever device number its routing ID has.
      const TopoNode& device = n.physfn >= 0 ? t_.nodes[n.physfn] : n;
      const auto [it, added] = device_links.try_emplace(
          std::pair{int{device.bdf.bus}, int{device.bdf.device}}, static_cast<int>(links_.size()));
      link_of_node_[i] = it->second;
      if (!added) continue;
      if (n.multifunction) name = name.substr(0, name.rfind('.'));
    } else if (n.kind == NodeKind::SwitchUpstream || n.kind == NodeKind::PciBridge) {
      link_of_node_[i] = static_cast<int>(links_.size());
    } else {
      continue;
    }
    // pcie.link_model = latency keeps the counters but adds no time.
    links_.push_back(
        std::make_unique<PcieLink>(name, n.link, n.link.mps, mode_, timing_.bandwidth, stats));
    link_mps.push_back(n.link.mps);
  }
  build_paths(link_mps);
}

void PcieFabric::build_paths(const std::vector<std::uint32_t>& link_mps) {
  segments_.resize(t_.nodes.size());
  sizes_.resize(t_.nodes.size());
  straight_.resize(t_.nodes.size());
  for (std::size_t f = 0; f < t_.nodes.size(); ++f) {
    if (!t_.is_function(static_cast<int>(f))) continue;
    const TopoNode& n = t_.nodes[f];
    std::vector<Segment>& segs = segments_[f];
    segs.push_back({sc_time(), link_of_node_[f]});
    int at = n.bridge;
    if (n.kind == NodeKind::ConventionalPci) {
      segs.push_back({timing_.switch_hop, link_of_node_[at]});
      at = t_.nodes[at].bridge;
    }
    // The same way up as from_function takes: across each switch and its uplink.
    while (at >= 0 && t_.nodes[at].kind == NodeKind::SwitchDownstream) {
      const int usp = t_.nodes[at].bridge;
      segs.push_back({timing_.switch_hop, link_of_node_[usp]});
      at = t_.nodes[usp].bridge;
    }
    straight_[f] = straight_requests(static_cast<int>(f));
    TlpSizes& sz = sizes_[f];
    sz.mrrs = n.link.mrrs;
    sz.rcb = n.link.rcb;
    sz.mps = n.link.mps;
    for (const Segment& s : segs) {
      if (s.link >= 0) sz.mps = std::min(sz.mps, link_mps[static_cast<std::size_t>(s.link)]);
    }
  }
}

std::optional<int> PcieFabric::bar_owner(std::uint64_t addr) const {
  auto it = std::upper_bound(bar_owners_.begin(), bar_owners_.end(),
                             std::pair(addr, std::numeric_limits<int>::max()));
  if (it == bar_owners_.begin()) return std::nullopt;
  const TopoNode& n = t_.nodes[(--it)->second];
  if (addr - n.bar_base < n.bar_size) return it->second;
  return std::nullopt;
}

bool PcieFabric::below(int a, int port) const {
  for (int n = t_.nodes[a].bridge; n >= 0; n = t_.nodes[n].bridge) {
    if (n == port) return true;
  }
  return false;
}

sc_time PcieFabric::down_from(int port, int function) const {
  sc_time t;
  for (int n = function; n != port && n >= 0; n = t_.nodes[n].bridge) {
    const TopoNode& node = t_.nodes[n];
    const int above = node.bridge;
    switch (node.kind) {
      case NodeKind::SwitchDownstream:
        t += timing_.switch_hop;  // from the upstream port across the switch
        break;
      case NodeKind::PciBridge:
        t += timing_.link + timing_.switch_hop;
        break;
      case NodeKind::RcIntegrated:
        break;  // inside the root complex
      default:
        // A device on a link; on a conventional bus there is no link.
        if (above < 0 || t_.nodes[above].kind != NodeKind::PciBridge) t += timing_.link;
        break;
    }
  }
  return t;
}

sc_time PcieFabric::down_from_root(int function) const {
  int root = function;
  while (t_.nodes[root].bridge >= 0) root = t_.nodes[root].bridge;
  return root == function ? sc_time() : down_from(root, function);
}

void PcieFabric::deliver_to_bar(int function, tlm::tlm_generic_payload& p) {
  ++bar_accesses_[function];
  const std::span data(p.get_data_ptr(), p.get_data_length());
  if (p.is_read()) {
    bars_.read(p.get_address(), data);
  } else {
    bars_.write(p.get_address(), data);
  }
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

void PcieFabric::deliver_to_peer(int source, int target, tlm::tlm_generic_payload& p) {
  if (peer_observer_ != nullptr) {
    peer_observer_->peer_access(source, target, p, *p.get_extension<PcieAttrs>());
  }
  deliver_to_bar(target, p);
}

void PcieFabric::reject(tlm::tlm_generic_payload& p, CompletionStatus status) {
  if (auto* attrs = p.get_extension<PcieAttrs>()) attrs->completion = status;
  p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
}

bool PcieFabric::acs_refuses(const TopoNode& port, Bdf rid, bool translated) {
  const bool pcie_port = port.kind == NodeKind::RootPort || port.kind == NodeKind::SwitchDownstream;
  return pcie_port && (((port.acs_control & acs::kSv) != 0 &&
                        (rid.bus < port.secondary || rid.bus > port.subordinate)) ||
                       ((port.acs_control & acs::kTb) != 0 && translated));
}

std::uint8_t PcieFabric::straight_requests(int f) const {
  // A switch or a PCI bus above the function may hold a peer; below root
  // ports alone, only their ACS checks can stop a request on its way up.
  if (peer_reachable_[static_cast<std::size_t>(f)]) return 0;
  std::uint8_t straight = kStraightUntranslated | kStraightTranslated;
  const Bdf rid = t_.nodes[f].wire_id;
  for (int at = t_.nodes[f].bridge; at >= 0; at = t_.nodes[at].bridge) {
    if (acs_refuses(t_.nodes[at], rid, false)) straight = 0;
    if (acs_refuses(t_.nodes[at], rid, true)) straight &= ~kStraightTranslated;
  }
  return straight;
}

void PcieFabric::from_function(int f, tlm::tlm_generic_payload& p, sc_time& delay) {
  const auto* attrs = p.get_extension<PcieAttrs>();
  const std::uint8_t kind =
      attrs->at == AddressType::Translated ? kStraightTranslated : kStraightUntranslated;
  if ((straight_[static_cast<std::size_t>(f)] & kind) != 0 &&
      attrs->requester_id == t_.nodes[f].wire_id.rid()) [[likely]] {
    to_host(f, p, attrs->at, delay);
    return;
  }
  route_up(f, *attrs, p, delay);
}

void PcieFabric::route_up(int f, const PcieAttrs& attrs, tlm::tlm_generic_payload& p,
                          sc_time& delay) {
  const Bdf rid = Bdf::from_rid(attrs.requester_id);
  const bool translated = attrs.at == AddressType::Translated;
  // Only a switch or a conventional bus above the function can deliver a
  // request to a peer; below a root port alone there is no BAR to look up.
  std::optional<int> target;
  if (peer_reachable_[f]) target = bar_owner(p.get_address());
  // One-way time spent in the fabric, the function's own link (or bus)
  // included, which a read's completion spends again on the way back.
  sc_time path = timing_.link;
  const auto finish = [&](sc_time extra) {
    delay += path + extra;
    if (p.is_read()) delay += path + extra;
  };
  int at = t_.nodes[f].bridge;
  // A conventional PCI bus is shared: a device on it claims a peer's
  // request itself; otherwise the bridge forwards it onto its link.
  if (t_.nodes[f].kind == NodeKind::ConventionalPci) {
    if (target && *target != f && t_.nodes[*target].bridge == at) {
      finish(sc_time());
      deliver_to_peer(f, *target, p);
      return;
    }
    path += timing_.switch_hop + timing_.link;
    at = t_.nodes[at].bridge;
  }
  while (at >= 0) {
    const TopoNode& port = t_.nodes[at];
    if (acs_refuses(port, rid, translated)) {
      ++ports_[at].violations;
      finish(sc_time());
      reject(p, CompletionStatus::CompleterAbort);
      return;
    }
    if (port.kind != NodeKind::SwitchDownstream) break;  // a root port: up to the root complex
    const int usp = port.bridge;
    if (target && !below(*target, at) && below(*target, usp)) {
      // A peer below another downstream port of this switch.
      int egress = *target;
      while (t_.nodes[egress].bridge != usp) egress = t_.nodes[egress].bridge;
      const bool rr = (port.acs_control & acs::kRr) != 0 && port.rr_enforced;
      const bool egress_blocked = (port.acs_control & acs::kEc) != 0 &&
                                  ((port.egress_vector >> t_.nodes[egress].bdf.device) & 1) != 0;
      // Direct Translated P2P lets translated requests pass RR and EC.
      const bool direct_translated = translated && (port.acs_control & acs::kDt) != 0;
      if (direct_translated || (!rr && !egress_blocked)) {
        ++ports_[at].direct;
        const sc_time there = path + timing_.switch_hop + down_from(egress, *target);
        sc_time back = there;
        // PCIe Base spec 6.12: with P2P Completion Redirect at the port the
        // completion enters (the completer's downstream port), a read's
        // completion goes up to the root complex, which returns it down to
        // the requester.
        if (p.is_read() && (t_.nodes[egress].acs_control & acs::kCr) != 0) {
          ++ports_[egress].completions_redirected;
          back = down_from_root(*target) + timing_.root_complex + down_from_root(f);
        }
        delay += there;
        if (p.is_read()) delay += back;
        deliver_to_peer(f, *target, p);
        return;
      }
      if (egress_blocked && !rr) {
        ++ports_[at].blocked;
        finish(sc_time());
        reject(p, CompletionStatus::CompleterAbort);
        return;
      }
      ++ports_[at].redirected;
    }
    // Up across the switch and the upstream port's link.
    path += timing_.switch_hop + timing_.link;
    at = t_.nodes[usp].bridge;
  }
  to_host(f, p, attrs.at, delay);
}

inline pcie_wire::Transfer PcieFabric::transfer_of(int f, const tlm::tlm_generic_payload& p,
                                                   AddressType at) const {
  const TlpSizes& sz = sizes_[static_cast<std::size_t>(f)];
  const std::uint64_t addr = p.get_address();
  if (at == AddressType::TranslationRequest) {
    return pcie_wire::translation_request(addr);
  }
  return p.is_read() ? pcie_wire::read(addr, p.get_data_length(), sz.mrrs, sz.rcb)
                     : pcie_wire::write(addr, p.get_data_length(), sz.mps);
}

template <bool Traced>
inline sc_time PcieFabric::cross_up(int f, const pcie_wire::Tlps& tlps, sc_time t) {
  for (const Segment& s : segments_[static_cast<std::size_t>(f)]) {
    t += s.before;
    if (s.link >= 0) {
      const sc_time arrival = t;
      t = links_[static_cast<std::size_t>(s.link)]->carry(LinkDirection::Up, tlps, t);
      if constexpr (Traced) {
        trace_link(f, s.link, LinkDirection::Up, tlps, arrival, t + timing_.link);
      }
    }
    t += timing_.link;
  }
  return t;
}

template <bool Traced>
inline sc_time PcieFabric::cross_down(int f, const pcie_wire::Tlps& tlps, sc_time t) {
  const std::vector<Segment>& segs = segments_[static_cast<std::size_t>(f)];
  for (auto s = segs.rbegin(); s != segs.rend(); ++s) {
    if (s->link >= 0) {
      const sc_time arrival = t;
      t = links_[static_cast<std::size_t>(s->link)]->carry(LinkDirection::Down, tlps, t);
      if constexpr (Traced) {
        trace_link(f, s->link, LinkDirection::Down, tlps, arrival, t + timing_.link);
      }
    }
    t += timing_.link + s->before;
  }
  return t;
}

// One test for tracing per request, not per link: the traced crossing is
// an instance of its own, and the untraced one inlines both directions.
void PcieFabric::to_host(int f, tlm::tlm_generic_payload& p, AddressType at, sc_time& delay) {
  if (trace::on(trace::Category::Fabric)) [[unlikely]] {
    carry_to_host<true>(f, p, at, delay);
  } else {
    carry_to_host<false>(f, p, at, delay);
  }
}

template <bool Traced>
void PcieFabric::carry_to_host(int f, tlm::tlm_generic_payload& p, AddressType at, sc_time& delay) {
  const pcie_wire::Transfer x = transfer_of(f, p, at);
  sc_time base = now();
  delay = cross_up<Traced>(f, x.up, base + delay) - base;
  to_root_complex->b_transport(p, delay);
  if (!p.is_read()) return;  // posted: no completion
  // Timed mode: the IOMMU may have waited, so the completion leaves the
  // root complex at the new now + delay.
  base = now();
  // A request that failed is answered by one completion without data.
  const pcie_wire::Tlps back =
      p.is_response_ok() ? x.down
                         : pcie_wire::Tlps{1, pcie_wire::kTlpWrapping + pcie_wire::kHeader3Dw};
  delay = cross_down<Traced>(f, back, base + delay) - base;
}

void PcieFabric::from_host(tlm::tlm_generic_payload& p, sc_time& delay) {
  const std::optional<int> target = bar_owner(p.get_address());
  if (!target) {
    // Inside the MMIO window but claimed by no BAR.
    reject(p, CompletionStatus::UnsupportedRequest);
    return;
  }
  ++via_root_complex_;
  const sc_time down = down_from_root(*target);
  delay += down;
  if (p.is_read()) delay += down;
  deliver_to_bar(*target, p);
}

}  // namespace iommu_sim
