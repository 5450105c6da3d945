// libFuzzer target: PCI enumeration and IOMMU groups (pcie/topology.*,
// pcie/iommu_groups.*) and the views `iommu-sim topo` prints
// (pcie/topology_report.*). The input is a config's "pcie" object, loaded
// field by field as load_config loads it (types, ranges, choices), then
// handed to build_topology without the rest of validate(): enumeration
// must turn any PcieParams that loads into a topology or into errors that
// name the element. In a topology every node is in a group, and every
// group lists exactly the nodes that name it.
#include <cstddef>
#include <cstdint>

#include "fuzz/json_input.h"
#include "pcie/topology.h"
#include "pcie/topology_report.h"

using namespace iommu_sim;
using namespace iommu_sim::fuzz;

namespace {

void check_groups(const Topology& t) {
  std::size_t listed = 0;
  for (std::size_t g = 0; g < t.groups.size(); ++g) {
    for (const int i : t.groups[g]) {
      if (i < 0 || static_cast<std::size_t>(i) >= t.nodes.size() ||
          t.nodes[static_cast<std::size_t>(i)].group != static_cast<int>(g)) {
        fail("group " + std::to_string(g) + " lists a node that is not in it");
      }
    }
    listed += t.groups[g].size();
  }
  if (listed != t.nodes.size()) fail("a node is in no group, or in several");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = parse_input(data, size);
  if (!j) return -1;
  PcieParams params;
  std::vector<ConfigError> errors;
  ConfigLoader(*j, "pcie", errors).load(params);
  check_errors(errors);
  if (!errors.empty()) return 0;
  Topology t;
  errors = build_topology(params, t);
  check_errors(errors);
  if (!errors.empty()) return 0;
  check_groups(t);
  topology_tree(t);
  iommu_groups_listing(t);
  topology_json(t);
  return 0;
}
