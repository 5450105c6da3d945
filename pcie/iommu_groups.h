// IOMMU groups as Linux forms them for PCI devices: pci_device_group() in
// drivers/iommu/iommu.c with pci_bus_isolated() in drivers/pci/search.c, as
// reworked in 2025 to decide isolation bus by bus. A bus on which a
// downstream-originated request can complete anywhere but at the IOMMU is
// non-isolated, and everything below it shares one group; multi-function
// devices whose functions lack ACS share one; conventional PCI never
// isolates. The older upward walk (pcie.grouping = legacy, Linux 4.4 up to
// the rework) checked only the ports above a device, so two devices behind
// ACS-less downstream ports of one switch land in different groups although
// they reach each other peer to peer; the simulation's routing shows that
// breach (docs/topology.md, "Kernel eras").
#pragma once

#include <string_view>

#include "pcie/topology.h"

namespace iommu_sim {

// pcie.grouping: which kernel era's rules form the groups (the first, the
// value a Topology starts with, is the parameter's default).
enum class GroupingRules : std::uint8_t {
  Current,  // since the 2025 rework: pci_bus_isolated(), bus by bus
  Legacy,   // Linux 4.4 up to the rework: the upward ACS path walk
};
GroupingRules parse_grouping(std::string_view name);  // a validated choice

// How a bus isolates the devices on it (Linux enum pci_bus_isolation).
enum class BusIsolation : std::uint8_t {
  PcieIsolated,              // no peer-to-peer on this bus
  PcieSwitchDspNonIsolated,  // a switch's DSPs reach each other, not the USP
  PcieNonIsolated,           // the bridge and all devices below share
  PciBusNonIsolated,         // conventional bus; the bridge is apart
  PciBridgeNonIsolated,      // conventional bus including the bridge
};

// pci_acs_enabled(dev, flags) for a node (drivers/pci/pci.c).
bool acs_enabled(const TopoNode& n, std::uint8_t flags);

// pci_bus_isolated() of the bus below node `bridge` (-1: bus 0).
BusIsolation bus_isolation(const Topology& t, int bridge);

// Assigns every node's group, in probe order, and fills t.groups.
void compute_iommu_groups(Topology& t, GroupingRules rules);

}  // namespace iommu_sim
