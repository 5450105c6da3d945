// The IOMMU groups a config says its machine has (the top-level
// `expect_groups`, each entry the names of one group's members separated by
// spaces), checked against the groups the simulator computes. A listing
// taken from a real machine may leave devices out (AMD's IOMMU driver puts
// its host bridge and itself in no group), so only the devices the entries
// name are compared: a listed group is reproduced when the computed group
// of its members holds exactly those of the named devices.
#pragma once

#include <string>
#include <vector>

#include "model/config_loader.h"
#include "pcie/topology.h"

namespace iommu_sim {

// The names of each group's members, in the order the entries give them.
std::vector<std::vector<std::string>> split_expected_groups(
    const std::vector<std::string>& entries);

// An entry without names, a name the topology does not have and a name
// given twice are config errors ("expect_groups[2]: ...").
std::vector<ConfigError> check_expected_group_names(const Topology& t,
                                                    const std::vector<std::string>& entries);

struct GroupComparison {
  std::size_t listed = 0;
  // One line per listed group computed otherwise: "listed A B C; computed
  // A B | C" (the computed groups that hold its members, each with the
  // named devices it holds).
  std::vector<std::string> differences;
  std::size_t reproduced() const { return listed - differences.size(); }
};
GroupComparison compare_expected_groups(const Topology& t,
                                        const std::vector<std::vector<std::string>>& expected);

// What `iommu-sim topo` prints below the groups: "expect_groups: 20 of 21
// listed groups computed as listed", then one line per difference.
std::string expected_groups_report(const GroupComparison& c);

}  // namespace iommu_sim
