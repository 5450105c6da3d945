// A machine's IOMMU groups as people publish them, for `iommu-sim topo
// --import --groups`. Read line by line, in any of the forms the common
// commands print:
//   IOMMU Group 13: 00:1c.0 PCI bridge [0604]: Intel ... [8086:a110] (rev f1)
//   IOMMU Group 13 00:1c.0 PCI bridge [0604]: ...     (the Arch wiki's loop)
//   IOMMU Group 13:                                    (a heading, then
//   	00:1c.0 PCI bridge [0604]: ...                   indented members)
//   /sys/kernel/iommu_groups/13/devices/0000:00:1c.0   (find -type l)
//   pci 0000:00:1c.0: Adding to iommu group 13         (dmesg, and the older
//   iommu: Adding device 0000:00:1c.0 to group 13       kernels' wording)
//   group 13: 0000:00:1c.0 (rp0) 0000:01:00.0 (nic)   (iommu-sim topo)
// Members keep the IDs an lspci -nn line gives them, which lspci -tv does
// not print for bridges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pcie/import_error.h"
#include "pcie/lspci_tree.h"

namespace iommu_sim {

struct ListedMember {
  PciAddress address;
  int line = 0;                                // 1-based
  std::uint16_t vendor_id = 0, device_id = 0;  // 0: the line gives none
  std::string name;                            // iommu-sim topo's "(name)"
};

struct ListedGroup {
  int number = 0;
  std::vector<ListedMember> members;  // in the listing's order
};

struct GroupListing {
  std::string file;
  std::vector<ListedGroup> groups;  // by group number
};

// Reads lines[first ...] (0-based; errors name the file's own line
// numbers). Empty lines are skipped, "..." (where a listing was cut), and
// the lines iommu-sim topo prints around its groups ("IOMMU groups:",
// "expect_groups: ..."). A line in no
// known form, an address that does not parse or one listed twice is an
// error; so is a listing without any group.
std::optional<GroupListing> parse_group_listing(const std::vector<std::string>& lines,
                                                std::size_t first, const std::string& file,
                                                ImportError& error);

}  // namespace iommu_sim
