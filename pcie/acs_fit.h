// Choosing the ACS lspci -tv does not show so that the simulator's IOMMU
// groups come out as a machine's listing has them (`iommu-sim topo
// --import --groups`). Under one kernel era's rules (pcie.grouping), each
// item the import marks `chosen` starts from what its listed group says:
//   - a root or downstream port whose group holds a device below it does
//     not isolate its link: under legacy it has no ACS; under current a
//     root port has the capability with the controls off, and a downstream
//     port lacks the capability when its switch's upstream port is in its
//     group, has it turned off when only its sibling ports are;
//   - one that does not has ACS on; under current, a root port without a
//     device below in its group but sharing one with another function of
//     its slot has no ACS (its link is point to point all the same);
//   - a function of a multi-function device sharing a group with another
//     has no ACS, one alone has it;
//   - under current, a PCIe-to-PCI bridge in its bus's group has a BAR;
//   - IDs whose Linux quirk says otherwise than that choice are left out,
//     and a quirk that agrees decides in place of the registers.
// Devices whose group then differs from the listing's get their port and
// slot neighbours' other settings tried, one at a time, keeping any that
// makes fewer devices differ, until none does.
#pragma once

#include <string>
#include <vector>

#include "pcie/import_items.h"

namespace iommu_sim {

// How many of the listed devices have, under `era`, a group whose listed
// members differ from their listed group (the names are the nodes'; a
// topology that does not enumerate counts every one).
std::size_t mismatched_devices(const std::vector<ImportItem>& items, GroupingRules era,
                               const std::vector<std::vector<std::string>>& listed);

// Sets the chosen items' ACS (and IDs, BARs) for `era`; returns
// mismatched_devices afterwards.
std::size_t fit_acs(std::vector<ImportItem>& items, GroupingRules era,
                    const std::vector<std::vector<std::string>>& listed);

}  // namespace iommu_sim
