// Linux's device-specific ACS quirks (drivers/pci/quirks.c,
// pci_dev_acs_enabled[] and pci_dev_specific_acs_enabled): parts that
// isolate without advertising it (root ports that never route peer to
// peer, multi-function devices whose functions never talk to each other)
// and one family whose ACS registers sit at the wrong offset. Linux asks
// the table before the ACS capability (pci_acs_enabled), so a quirk decides
// the groups; the simulated part behaves as the quirk says it does, so the
// fabric routes with the controls the quirk reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "pcie/topology.h"

namespace iommu_sim::acs {

// The part's ACS as the quirk has it: what pci_acs_enabled answers for any
// set of controls, as registers the fabric routes by.
struct Registers {
  bool has_acs = false;
  std::uint8_t capability = 0, control = 0;
};

struct QuirkAnswer {
  std::string_view linux_function;  // e.g. "pci_quirk_intel_pch_acs"
  Registers acs;
};

// The first entry of Linux's table that matches the node's vendor and
// device IDs and answers (the others return -ENOTTY and the search goes on),
// or nullopt: no quirk applies and the part's own ACS registers (`own`)
// decide. A part without a vendor ID (0) matches nothing.
std::optional<QuirkAnswer> find_quirk(std::uint16_t vendor, std::uint16_t device, NodeKind kind,
                                      const Registers& own);

}  // namespace iommu_sim::acs
