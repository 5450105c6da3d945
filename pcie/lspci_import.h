// `iommu-sim topo --import`: a config skeleton from a machine's PCI tree
// (pcie/lspci_tree.h) and, optionally, its IOMMU group listing
// (pcie/group_listing.h). The skeleton places every device where lspci
// shows it (devfn, function numbers, IDs, the host bridge at 00.0) and
// says in its description what it had to guess, since lspci -tv does not
// show it:
//   - what a bridge is: on bus 00 a root port; one whose bus holds
//     bridges a switch's upstream port, those bridges its downstream
//     ports; any other bridge below a port a PCIe-to-PCI bridge;
//   - ACS: with a group listing, the settings (and, where a Linux quirk
//     would contradict the listing, the IDs left out) that reproduce the
//     listed groups, under the kernel era (pcie.grouping) that reproduces
//     most of them; without one, no ACS anywhere;
//   - links and BAR sizes: the defaults.
// Devices it cannot place (other root buses than the first bus 00, devices
// other than 00 on a link, which are virtual or ARI functions, endpoints
// on a switch's internal bus, bridges on a conventional bus) are left out
// and named. An iommu-sim topo printout states names, kinds, ACS, BARs and
// the grouping, and is taken as it stands, so printing the imported config
// again gives the same tree.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pcie/group_listing.h"
#include "pcie/import_error.h"
#include "pcie/lspci_tree.h"

namespace iommu_sim {

// clang-tidy 14 cannot see that nlohmann::json's noexcept move constructor
// does not throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct ImportResult {
  nlohmann::ordered_json config;
  std::string grouping;     // the era chosen
  std::size_t devices = 0;  // placed in the skeleton
  std::size_t left_out = 0;
  std::size_t listed_groups = 0;
  std::vector<std::string> unreproduced;  // as compare_expected_groups words them
};

// The tree file's text and, when given, a group listing's. When the tree
// file continues after the tree (an empty line, then a group listing, as
// iommu-sim topo's printout does), that listing is read too; giving
// --groups as well is then an error. nullopt with `error` set on input
// that cannot be read or placed; nothing is half done.
std::optional<ImportResult> import_topology(std::string_view tree_text,
                                            const std::string& tree_file,
                                            const std::optional<std::string>& groups_text,
                                            const std::string& groups_file, ImportError& error);

// The skeleton as the shipped configs are laid out: one port, endpoint or
// group per line.
std::string skeleton_text(const nlohmann::ordered_json& config);

}  // namespace iommu_sim
