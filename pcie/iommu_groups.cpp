#include "pcie/iommu_groups.h"

#include "pcie/acs.h"

namespace iommu_sim {

bool acs_enabled(const TopoNode& n, std::uint8_t flags) {
  const auto check = [&] {
    return acs::flags_enabled(n.has_acs, n.acs_capability, n.acs_control, flags);
  };
  switch (n.kind) {
    // Not PCIe, or a bridge to conventional PCI: no ACS semantics.
    case NodeKind::ConventionalPci:
    case NodeKind::PciBridge:
      return false;
    // PCIe Base spec 6.12.1.1: these ports must implement ACS to show
    // their peer-to-peer behaviour, single-function or not.
    case NodeKind::RootPort:
    case NodeKind::SwitchDownstream:
      return check();
    // PCIe Base spec 6.12.1.2: other types need ACS only as functions of a
    // multi-function device.
    case NodeKind::Endpoint:
    case NodeKind::RcIntegrated:
    case NodeKind::SwitchUpstream:
      return !n.multifunction || check();
  }
  return true;
}

BusIsolation bus_isolation(const Topology& t, int bridge) {
  // The root bus: Linux trusts the root complex to send everything that
  // reaches it to the IOMMU.
  if (bridge < 0) return BusIsolation::PcieIsolated;
  const TopoNode& b = t.nodes[bridge];
  switch (b.kind) {
    case NodeKind::RootPort:
      // A point-to-point link: isolated unless the port has ACS and does not
      // enable it (then requests may loop back to its own MMIO).
      return b.has_acs && !acs_enabled(b, acs::kIsolated) ? BusIsolation::PcieNonIsolated
                                                          : BusIsolation::PcieIsolated;
    case NodeKind::SwitchDownstream:
      return BusIsolation::PcieIsolated;
    case NodeKind::SwitchUpstream:
      // A switch's internal bus: any DSP without the controls lets upstream
      // traffic turn back down through another DSP. Without any ACS
      // capability the USP is not shielded either (Linux pcie_switch_isolated:
      // the USP_MT_RR check fails without the capability).
      for (std::size_t i = 0; i < t.nodes.size(); ++i) {
        const TopoNode& n = t.nodes[i];
        if (n.bridge != bridge) continue;
        if (n.kind != NodeKind::SwitchDownstream) return BusIsolation::PcieNonIsolated;
        if (!acs_enabled(n, acs::kIsolated)) {
          return n.has_acs ? BusIsolation::PcieSwitchDspNonIsolated : BusIsolation::PcieNonIsolated;
        }
      }
      return BusIsolation::PcieIsolated;
    case NodeKind::PciBridge:
      // Conventional PCI isolates nothing. A bridge with MMIO can be reached
      // from the bus, so it shares the bus's group; without, its own
      // requester ID keeps it apart (Linux: PCI_BRIDGE_NON_ISOLATED /
      // PCI_BUS_NON_ISOLATED, pci_has_mmio).
      return b.bar_size != 0 ? BusIsolation::PciBridgeNonIsolated : BusIsolation::PciBusNonIsolated;
    default:
      return BusIsolation::PciBridgeNonIsolated;
  }
}

GroupingRules parse_grouping(std::string_view name) {
  return name == "legacy" ? GroupingRules::Legacy : GroupingRules::Current;
}

namespace {

// get_pci_function_alias_group (drivers/iommu/iommu.c): a function of a
// multi-function device that does not enable the ACS controls shares the
// group of an earlier such function of its slot. -1: no such function.
int function_alias_group(const Topology& t, std::size_t i) {
  const TopoNode& n = t.nodes[i];
  if (!n.multifunction || acs_enabled(n, acs::kIsolated)) return -1;
  for (std::size_t j = 0; j < i; ++j) {
    const TopoNode& m = t.nodes[j];
    if (m.bridge == n.bridge && m.bdf.bus == n.bdf.bus && m.bdf.device == n.bdf.device &&
        !acs_enabled(m, acs::kIsolated)) {
      return m.group;
    }
  }
  return -1;
}

// pci_acs_path_enabled(start, NULL, REQ_ACS_FLAGS) (drivers/pci/pci.c): the
// controls on `start` and on every bridge above it up to the root bus.
bool acs_path_enabled(const Topology& t, int start) {
  for (int b = start; b >= 0; b = t.nodes[b].bridge) {
    if (!acs_enabled(t.nodes[b], acs::kIsolated)) return false;
  }
  return true;
}

// pci_device_group() before the 2025 rework, for node i; -1: a new group.
int legacy_group(const Topology& t, std::size_t i) {
  const TopoNode& n = t.nodes[i];
  if (n.bridge >= 0) {
    const TopoNode& up = t.nodes[n.bridge];
    // pci_for_each_dma_alias: a conventional function's requests carry its
    // PCIe-to-PCI bridge's alias, and the bridge, probed first, has a
    // group: the function joins it.
    if (n.kind == NodeKind::ConventionalPci && up.kind == NodeKind::PciBridge) return up.group;
    // The upward walk stops at the first bus whose bridge has the controls
    // on its whole path to the root; otherwise that bridge, which has a
    // group already, decides.
    if (!acs_path_enabled(t, n.bridge)) return up.group;
  }
  return function_alias_group(t, i);
}

// pci_device_group() since the rework, for node i; `unisolated` says, per
// group, that everything below its bridges joins it. -1: a new group, and
// sets `non_isolated` for it.
int current_group(const Topology& t, std::size_t i, const std::vector<bool>& unisolated,
                  bool& non_isolated) {
  const TopoNode& n = t.nodes[i];
  // pci_hierarchy_group: below a non-isolated bus, one group.
  if (n.bridge >= 0 && unisolated[t.nodes[n.bridge].group]) return t.nodes[n.bridge].group;
  switch (bus_isolation(t, n.bridge)) {
    case BusIsolation::PcieIsolated:
      return function_alias_group(t, i);
    case BusIsolation::PcieNonIsolated:
    case BusIsolation::PciBridgeNonIsolated:
      non_isolated = true;
      return t.nodes[n.bridge].group;
    case BusIsolation::PciBusNonIsolated:
    case BusIsolation::PcieSwitchDspNonIsolated:
      for (std::size_t j = 0; j < i; ++j) {
        if (t.nodes[j].bridge == n.bridge) return t.nodes[j].group;
      }
      non_isolated = true;
      return -1;
  }
  return -1;
}

}  // namespace

void compute_iommu_groups(Topology& t, GroupingRules rules) {
  std::vector<bool> unisolated;  // per group: everything below joins it
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    bool non_isolated = false;
    int g = rules == GroupingRules::Legacy ? legacy_group(t, i)
                                           : current_group(t, i, unisolated, non_isolated);
    if (g < 0) {
      g = static_cast<int>(t.groups.size());
      t.groups.emplace_back();
      unisolated.push_back(false);
    }
    if (non_isolated) unisolated[g] = true;
    t.nodes[i].group = g;
    t.groups[g].push_back(static_cast<int>(i));
  }
}

}  // namespace iommu_sim
