// The PCI hierarchy as firmware and Linux see it after enumeration: every
// port and function with its bus/device/function, bridge bus ranges and
// memory windows, BARs, the requester ID its DMA carries, and its IOMMU
// group. Built from PcieParams, checked on the way: a config that cannot be
// enumerated yields errors naming the element, never a half-built topology.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/config_loader.h"
#include "model/pcie_attrs.h"
#include "pcie/pcie_params.h"

namespace iommu_sim {

enum class NodeKind : std::uint8_t {
  RootPort,
  SwitchUpstream,
  SwitchDownstream,
  PciBridge,
  Endpoint,      // a function of a PCIe endpoint
  RcIntegrated,  // a function of a root-complex integrated endpoint
  ConventionalPci,
};

std::string_view kind_name(NodeKind k);
inline bool is_bridge(NodeKind k) {
  return k == NodeKind::RootPort || k == NodeKind::SwitchUpstream ||
         k == NodeKind::SwitchDownstream || k == NodeKind::PciBridge;
}

struct TopoNode {
  std::string name;
  NodeKind kind = NodeKind::Endpoint;
  int bridge = -1;  // the bridge whose secondary bus this node sits on; -1: bus 0
  Bdf bdf;
  bool multifunction = false;  // a function of a multi-function device
  // ACS as Linux sees it: the part's own capability and controls, or what
  // a device-specific quirk (acs_quirk, the Linux function) says instead.
  bool has_acs = false;
  std::uint8_t acs_capability = 0, acs_control = 0;
  std::uint16_t vendor_id = 0, device_id = 0;  // 0: not given
  std::string_view acs_quirk;
  std::uint32_t egress_vector = 0;
  bool rr_enforced = true;  // false: pcie.ports[].bug = acs_rr_not_enforced
  // Bridges: bus range and memory window (window_size 0: none).
  std::uint8_t secondary = 0, subordinate = 0;
  std::uint64_t window_base = 0, window_size = 0;
  // Functions: the BAR (size 0: none); the requester ID its DMA carries as
  // far as the host knows (a conventional device's is its PCIe-to-PCI
  // bridge's alias), and the one it really puts on the wire (different
  // only for a device configured to spoof).
  std::uint64_t bar_base = 0, bar_size = 0;
  Bdf requester_id;
  Bdf wire_id;
  int group = -1;
  int physfn = -1;  // a virtual function's PF (node index); -1: not a VF
  AtsParams ats;    // functions
  // The link above this node (endpoints, switch upstream ports, bridges)
  // and a function's tags.
  LinkParams link;
  std::uint32_t tags = 32;
  double dma_latency_ns = 0.0;
};

// pcie.grouping's rules (pcie/iommu_groups.h).
enum class GroupingRules : std::uint8_t;

struct Topology {
  // In probe order: the devices of a bus, then each bridge's bus in turn.
  std::vector<TopoNode> nodes;
  std::vector<std::vector<int>> groups;  // node indices, by group number
  GroupingRules grouping{};              // the rules that formed the groups

  // The node named `name`, -1 for none: one lookup, as platforms of a
  // thousand functions look up each workload's and attachment's device.
  int find(const std::string& name) const;
  std::map<std::string, int> by_name;  // node name -> index, set with nodes
  bool is_function(int i) const { return !is_bridge(nodes[i].kind); }
};

// Enumerates `p`; on any error returns them and leaves `out` untouched.
std::vector<ConfigError> build_topology(const PcieParams& p, Topology& out);

}  // namespace iommu_sim
