// Human- and machine-readable views of an enumerated topology: a tree in
// the style of `lspci -tv` with requester IDs, bus ranges, windows, BARs,
// ACS bits and groups, a listing like /sys/kernel/iommu_groups, and the
// JSON that stats.json carries.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "pcie/topology.h"

namespace iommu_sim {

std::string topology_tree(const Topology& t);
std::string iommu_groups_listing(const Topology& t);
nlohmann::json topology_json(const Topology& t);

}  // namespace iommu_sim
