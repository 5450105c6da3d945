// The ports and endpoints `iommu-sim topo --import` writes into a config
// skeleton, while it decides their ACS: each becomes one pcie.ports[] or
// pcie.endpoints[] entry, as PcieParams (to enumerate and group it) and as
// the JSON the skeleton holds.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pcie/acs_quirks.h"
#include "pcie/iommu_groups.h"
#include "pcie/pcie_params.h"
#include "pcie/topology.h"

namespace iommu_sim {

// What an item's ACS registers are set to.
enum class AcsSetting : std::uint8_t {
  None,    // no ACS capability
  On,      // the capability with SV, RR, CR and UF, all enabled
  Off,     // the same capability, those controls disabled
  Stated,  // the bits a topo printout states (acs_capability, acs_control)
};

struct ImportItem {
  bool port = false;
  NodeKind kind = NodeKind::Endpoint;
  std::string name;
  int parent = -1;  // the item of the port above; -1: the root complex
  int line = 0;     // where the tree lists it (its first function)
  std::uint8_t device = 0;
  std::vector<std::uint8_t> functions{0};  // ascending
  std::vector<std::string> nodes;          // the names its functions get (pcie/topology.cpp's rule)
  std::uint16_t vendor_id = 0, device_id = 0;
  bool ids_left_out = false;  // the IDs are known but not written
  AcsSetting acs = AcsSetting::None;
  std::uint8_t acs_capability = 0, acs_control = 0;  // Stated
  std::uint32_t egress_vector = 0;
  std::optional<std::uint64_t> bar_size;  // nullopt: the parameter's default
  SriovParams sriov;
  // lspci does not show its ACS (or, for a PCIe-to-PCI bridge, whether it
  // has a BAR): the import chooses it.
  bool chosen = false;
  bool multifunction = false;  // shares its device number, or has functions
};

// The registers `setting` gives `item` (before any quirk).
acs::Registers own_registers(const ImportItem& item);
// What Linux takes the item's ACS for: a quirk's answer, if its IDs are
// written and select one, else its own registers.
acs::Registers effective_registers(const ImportItem& item);
// The quirk the item's written IDs select, if any ("" otherwise).
std::string_view item_quirk(const ImportItem& item);

PcieParams pcie_params(const std::vector<ImportItem>& items, GroupingRules era);

// One pcie.ports[] or pcie.endpoints[] entry, non-default fields only.
nlohmann::ordered_json item_json(const ImportItem& item, const std::vector<ImportItem>& items);

std::string_view grouping_name(GroupingRules era);

}  // namespace iommu_sim
