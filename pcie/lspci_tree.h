// A machine's PCI tree as text: what `lspci -tv` (or `lspci -tvnn`, with
// [vendor:device] IDs) prints, or what `iommu-sim topo` prints for a
// simulated one. `iommu-sim topo --import` reads either into the devices
// below, each with its bus/device/function, the bridge above it and what
// the listing states about it; deciding what the devices are is
// pcie/lspci_import.h's part.
//
// lspci draws the tree in columns (pciutils ls-tree.c): a device is
// "dd.f", a bridge "dd.f-[ss-ee]-" with its secondary bus's devices
// following on the same line after "--" (one) or "+-" ... "\-" (several,
// each further one on a later line in the same column); a root bus is
// "[dddd:bb]". Its bus numbers are therefore those of the bridges, and a
// device's BDF is its bridge's secondary bus with its own "dd.f".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/pcie_attrs.h"
#include "pcie/import_error.h"
#include "pcie/topology.h"

namespace iommu_sim {

enum class TreeDialect : std::uint8_t {
  Lspci,  // lspci -tv or -tvnn
  Topo,   // iommu-sim topo: names, kinds, ACS, BARs and groups stated
};

struct ListedDevice {
  std::uint32_t domain = 0;
  Bdf bdf;          // as listed (a topo printout's: the simulator's)
  int parent = -1;  // the bridge above it (index into devices); -1: a root bus
  int root = 0;     // its root bus (index into ListedTree::root_buses)
  int line = 0;     // 1-based
  bool bridge = false;
  std::uint16_t vendor_id = 0, device_id = 0;  // 0: not listed
  // What an iommu-sim topo printout states besides.
  std::string name;
  std::optional<NodeKind> kind;
  bool has_acs = false;  // the ACS Linux sees (a quirk's, where acs_quirk)
  std::uint8_t acs_capability = 0, acs_control = 0;
  bool acs_quirk = false;
  std::uint32_t egress_vector = 0;
  std::uint64_t bar_size = 0;
  int group = -1;
};

struct RootBus {
  std::uint32_t domain = 0;
  std::uint8_t bus = 0;
  int line = 0;
};

struct ListedTree {
  TreeDialect dialect = TreeDialect::Lspci;
  std::vector<ListedDevice> devices;  // in the order the tree lists them
  std::vector<RootBus> root_buses;
  std::string grouping;  // a topo printout's pcie.grouping; empty: not stated
  std::size_t end = 0;   // 0-based index of the first line after the tree
};

// The lines of a text file as a listing has them: split at '\n', without
// '\r' and trailing blanks.
std::vector<std::string> listing_lines(std::string_view text);

// Parses the tree that starts at the first non-empty line. It ends at an
// empty line or the end of the file; what follows the empty line is left
// to the caller (a group listing may). nullopt, with `error` naming the
// line and why, for anything else.
std::optional<ListedTree> parse_device_tree(const std::vector<std::string>& lines,
                                            const std::string& file, ImportError& error);

// "BB:DD.F" or "DDDD:BB:DD.F" (hex, lspci's and sysfs's spelling); nullopt
// when malformed.
struct PciAddress {
  std::uint32_t domain = 0;
  Bdf bdf;
};
std::optional<PciAddress> parse_pci_address(std::string_view text);

// The "[vvvv:dddd]" lspci -nn prints, the last one in `text`; nullopt
// when there is none.
std::optional<std::pair<std::uint16_t, std::uint16_t>> last_pci_ids(std::string_view text);

}  // namespace iommu_sim
