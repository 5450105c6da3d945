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

void compute_iommu_groups(Topology& t) {
  std::vector<bool> unisolated;  // per group: everything below joins it
  auto new_group = [&](bool non_isolated) {
    t.groups.emplace_back();
    unisolated.push_back(non_isolated);
    return static_cast<int>(t.groups.size()) - 1;
  };
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    TopoNode& n = t.nodes[i];
    int g = -1;
    // pci_hierarchy_group: below a non-isolated bus, one group.
    if (n.bridge >= 0 && unisolated[t.nodes[n.bridge].group]) {
      g = t.nodes[n.bridge].group;
    } else {
      switch (bus_isolation(t, n.bridge)) {
        case BusIsolation::PcieIsolated:
          // get_pci_function_alias_group: functions of one slot that lack
          // the ACS controls share a group.
          if (n.multifunction && !acs_enabled(n, acs::kIsolated)) {
            for (std::size_t j = 0; j < i; ++j) {
              const TopoNode& m = t.nodes[j];
              if (m.bridge == n.bridge && m.bdf.bus == n.bdf.bus && m.bdf.device == n.bdf.device &&
                  !acs_enabled(m, acs::kIsolated)) {
                g = m.group;
                break;
              }
            }
          }
          if (g < 0) g = new_group(false);
          break;
        case BusIsolation::PcieNonIsolated:
        case BusIsolation::PciBridgeNonIsolated:
          g = t.nodes[n.bridge].group;
          unisolated[g] = true;
          break;
        case BusIsolation::PciBusNonIsolated:
        case BusIsolation::PcieSwitchDspNonIsolated:
          for (std::size_t j = 0; j < i && g < 0; ++j) {
            if (t.nodes[j].bridge == n.bridge) g = t.nodes[j].group;
          }
          if (g < 0) g = new_group(true);
          break;
      }
    }
    n.group = g;
    t.groups[g].push_back(static_cast<int>(i));
  }
}

}  // namespace iommu_sim
