// PCIe Access Control Services (PCIe Base spec 7.7.8 "ACS Extended
// Capability"): the capability and control bits, their names in configs,
// and Linux's test of whether a device has the controls isolation needs
// (drivers/pci/pci.c, pci_acs_enabled / pci_acs_flags_enabled).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iommu_sim::acs {

// ACS Capability / Control register bits (same positions in both).
inline constexpr std::uint8_t kSv = 0x01;  // Source Validation
inline constexpr std::uint8_t kTb = 0x02;  // Translation Blocking
inline constexpr std::uint8_t kRr = 0x04;  // P2P Request Redirect
inline constexpr std::uint8_t kCr = 0x08;  // P2P Completion Redirect
inline constexpr std::uint8_t kUf = 0x10;  // Upstream Forwarding
inline constexpr std::uint8_t kEc = 0x20;  // P2P Egress Control
inline constexpr std::uint8_t kDt = 0x40;  // Direct Translated P2P
// What Linux requires for isolation (PCI_ACS_ISOLATED, formerly
// REQ_ACS_FLAGS in drivers/iommu/iommu.c).
inline constexpr std::uint8_t kIsolated = kSv | kRr | kCr | kUf;

// Parses "sv,rr,cr,uf" (any order, case-insensitive; "" for none);
// nullopt names no known control.
std::optional<std::uint8_t> parse(std::string_view text);
// "SV RR CR UF", or "-" for none.
std::string to_string(std::uint8_t bits);

// pci_acs_flags_enabled: no ACS capability means not enabled; a required
// control the device does not implement counts as hard-wired on (Linux
// masks the flags with capability | EC); the rest must be set.
inline bool flags_enabled(bool has_capability, std::uint8_t capability, std::uint8_t control,
                          std::uint8_t flags) {
  if (!has_capability) return false;
  const std::uint8_t required = flags & (capability | kEc);
  return (control & required) == required;
}

}  // namespace iommu_sim::acs
