// The PCIe fabric below the root complex: links, switches and
// PCIe-to-PCI bridges, routing memory requests by address as the hardware
// does (PCIe Base spec 2.2.4.1 address routing, 6.12 ACS). A request that
// falls in a peer's BAR below the same switch goes straight to it unless the
// ingress downstream port's ACS redirects it upstream (RR), blocks it
// (egress control) or rejects its requester ID (source validation), and a
// read's completion comes back through the root complex if the completer's
// port redirects completions (CR); anything
// else goes up to the root complex and the IOMMU. The root complex sends
// translated addresses that hit a BAR back down (P2P through the root
// complex). BARs are device memory, held here in one sparse store.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <memory>
#include <optional>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/direct_target_socket.h"
#include "model/kernel_clock.h"
#include "model/sparse_memory.h"
#include "model/stats.h"
#include "model/timing_mode.h"
#include "pcie/link.h"
#include "pcie/peer_access_observer.h"
#include "pcie/topology.h"

namespace iommu_sim {

struct FabricTiming {
  sc_core::sc_time link;          // one link, one direction
  sc_core::sc_time switch_hop;    // ingress port to egress port of a switch or bridge
  sc_core::sc_time root_complex;  // turning a redirected completion around
  // false: links add only their latency (pcie.link_model = latency).
  bool bandwidth = true;
};

class PcieFabric : public sc_core::sc_module {
  // The sockets' targets, declared before they name them: a request from
  // function node `f`, and one the root complex routes down.
  void from_function(int f, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void from_host(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  using FunctionPort = DirectTargetSocket<PcieFabric, &PcieFabric::from_function>;

 public:
  tlm_utils::simple_initiator_socket<PcieFabric> to_root_complex;
  // Requests the root complex routes down to a BAR (after translation).
  DirectTargetSocket<PcieFabric, &PcieFabric::from_host> from_root_complex;

  PcieFabric(sc_core::sc_module_name name, const Topology& topology, FabricTiming timing,
             TimingMode mode, StatsRegistry& stats);

  // Where function node `function`'s link enters the fabric: the
  // function's requests, the one binding.
  TargetSocket& function_port(int function) {
    return *function_ports_[static_cast<std::size_t>(function)];
  }

  // The function whose BAR holds `addr`, if any.
  std::optional<int> bar_owner(std::uint64_t addr) const;
  void set_peer_observer(PeerAccessObserver* observer) { peer_observer_ = observer; }
  // The TLP sizes a function's requests are cut to: its MRRS and RCB, and
  // the smallest MPS on its way to the root complex (Linux pcie_bus_safe).
  struct TlpSizes {
    std::uint32_t mps = 256, mrrs = 512, rcb = 64;
  };
  const TlpSizes& tlp_sizes(int function) const { return sizes_[function]; }

 private:
  // One step of a function's way up: the time spent before reaching the
  // next link (a switch or bridge crossing), then that link (-1: none that
  // carries bytes, e.g. a conventional PCI bus) and its latency.
  struct Segment {
    sc_core::sc_time before;
    int link = -1;
  };
  struct PortCounters {
    std::uint64_t direct = 0, redirected = 0, blocked = 0, violations = 0;
    std::uint64_t completions_redirected = 0;
  };
  // Time to go from the root complex down to `function`'s link (one way).
  sc_core::sc_time down_from_root(int function) const;
  // Time from the egress port `port` (a DSP or bridge) down to `function`.
  sc_core::sc_time down_from(int port, int function) const;
  // Whether node `a` lies below node `port`.
  bool below(int a, int port) const;
  void deliver_to_bar(int function, tlm::tlm_generic_payload& p);
  // A request from function `source` that reaches peer `target` directly.
  void deliver_to_peer(int source, int target, tlm::tlm_generic_payload& p);
  void reject(tlm::tlm_generic_payload& p, CompletionStatus status);
  // Whether root or downstream port `port` refuses a request from `rid`
  // (PCIe Base spec 6.12.1.1: source validation checks the requester's bus
  // against the port's bus range; translation blocking refuses translated
  // requests). Either is an ACS violation (Completer Abort).
  static bool acs_refuses(const TopoNode& port, Bdf rid, bool translated);
  // The way up of a request from `f` that may meet a peer or an ACS check.
  void route_up(int f, const PcieAttrs& attrs, tlm::tlm_generic_payload& p,
                sc_core::sc_time& delay);
  // Which of `f`'s requests go straight up (its straight_ bits).
  std::uint8_t straight_requests(int f) const;
  // One link per device with a PCIe link, per switch uplink and per bridge.
  void build_links(StatsRegistry& stats);
  // Each function's way up (segments_) and TLP sizes (sizes_), given each
  // link's MPS.
  void build_paths(const std::vector<std::uint32_t>& link_mps);
  // Carries `tlps` from function `f` up to the root complex, leaving at `t`
  // (absolute in Timed mode); returns when they arrive there.
  template <bool Traced>
  sc_core::sc_time cross_up(int f, const pcie_wire::Tlps& tlps, sc_core::sc_time t);
  // Carries a completion from the root complex down to `f`.
  template <bool Traced>
  sc_core::sc_time cross_down(int f, const pcie_wire::Tlps& tlps, sc_core::sc_time t);
  // Sends `p` to the root complex across the links above `f`, and its
  // completion back.
  void to_host(int f, tlm::tlm_generic_payload& p, AddressType at, sc_core::sc_time& delay);
  template <bool Traced>
  void carry_to_host(int f, tlm::tlm_generic_payload& p, AddressType at, sc_core::sc_time& delay);
  pcie_wire::Transfer transfer_of(int f, const tlm::tlm_generic_payload& p, AddressType at) const;
  // fabric_trace.cpp: TLPs of function `f` crossing a link, from arriving
  // at it to reaching its far end (model/trace.h, category fabric).
  void trace_link(int f, int link, LinkDirection d, const pcie_wire::Tlps& tlps,
                  sc_core::sc_time arrival, sc_core::sc_time done) const;
  sc_core::sc_time now() const {
    return mode_ == TimingMode::Timed ? clock_.now() : sc_core::SC_ZERO_TIME;
  }

  const Topology& t_;
  FabricTiming timing_;
  TimingMode mode_;
  KernelClock clock_;
  std::vector<std::unique_ptr<FunctionPort>> function_ports_;  // by node; null: no function
  std::vector<std::unique_ptr<PcieLink>> links_;
  std::vector<int> link_of_node_;               // by node: index in links_, or -1
  std::vector<std::vector<Segment>> segments_;  // by function node, upwards
  std::vector<TlpSizes> sizes_;                 // by function node
  std::vector<bool> peer_reachable_;            // by node: a switch or PCI bus above it
  // By function node: which of its requests, sent with its own requester
  // ID, go straight up to the root complex whatever their address (no
  // peer to claim them, no ACS check on the way to refuse them), so that
  // from_function need not route them: bit kStraightUntranslated for
  // untranslated requests and Translation Requests, kStraightTranslated
  // for translated ones.
  static constexpr std::uint8_t kStraightUntranslated = 1, kStraightTranslated = 2;
  std::vector<std::uint8_t> straight_;
  // Functions with a BAR, by BAR base (enumeration gives disjoint BARs),
  // so a peer lookup per request is a binary search, not a scan of them all.
  std::vector<std::pair<std::uint64_t, int>> bar_owners_;
  SparseMemory bars_;
  std::vector<PortCounters> ports_;          // by node index
  std::vector<std::uint64_t> bar_accesses_;  // by node index
  std::uint64_t via_root_complex_ = 0;
  PeerAccessObserver* peer_observer_ = nullptr;
};

}  // namespace iommu_sim
