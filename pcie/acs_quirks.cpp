#include "pcie/acs_quirks.h"

#include <algorithm>
#include <array>

#include "pcie/acs.h"

namespace iommu_sim::acs {
namespace {

// What each quirk function of drivers/pci/quirks.c tests, by name.
enum class Rule : std::uint8_t {
  AmdSouthbridge,       // pci_quirk_amd_sb_acs
  MultiFunction,        // pci_quirk_mf_endpoint_acs
  IntelRcIntegrated,    // pci_quirk_rciep_acs
  Isolating,            // qcom_rp, nxp_rp, brcm, loongson, xgene: no P2P at all
  IntelPchRootPort,     // pci_quirk_intel_pch_acs
  IntelSptPchRootPort,  // pci_quirk_intel_spt_pch_acs
  CaviumRootPort,       // pci_quirk_cavium_acs
  AnnapurnaRootPort,    // pci_quirk_al_acs
  ZhaoxinPort,          // pci_quirk_zhaoxin_pcie_ports_acs
  WangxunNic,           // pci_quirk_wangxun_nic_acs
};

constexpr std::int32_t kAny = -1;  // PCI_ANY_ID

struct Entry {
  std::uint16_t vendor;
  std::int32_t device;
  Rule rule;
  std::string_view function;
};

constexpr std::uint16_t kAti = 0x1002, kAmd = 0x1022, kSolarflare = 0x1924, kIntel = 0x8086,
                        kQcom = 0x17cb, kHxt = 0x1dbf, kCavium = 0x177d, kAmcc = 0x10e8,
                        kAmpere = 0x1def, kBroadcom = 0x14e4, kLoongson = 0x0014,
                        kAnnapurna = 0x1c36, kZhaoxin = 0x1d17, kNxp = 0x1957, kWangxun = 0x8088;

constexpr std::string_view kAmdSb = "pci_quirk_amd_sb_acs", kMf = "pci_quirk_mf_endpoint_acs",
                           kQcomRp = "pci_quirk_qcom_rp_acs", kNxpRp = "pci_quirk_nxp_rp_acs",
                           kLoongsonRp = "pci_quirk_loongson_acs", kXgene = "pci_quirk_xgene_acs";

// pci_dev_acs_enabled[], in Linux's order (the first entry that answers
// wins), as in Linux's tree of late 2025.
constexpr auto kTable = std::to_array<Entry>({
    {kAti, 0x4385, Rule::AmdSouthbridge, kAmdSb},
    {kAti, 0x439c, Rule::AmdSouthbridge, kAmdSb},
    {kAti, 0x4383, Rule::AmdSouthbridge, kAmdSb},
    {kAti, 0x439d, Rule::AmdSouthbridge, kAmdSb},
    {kAti, 0x4384, Rule::AmdSouthbridge, kAmdSb},
    {kAti, 0x4399, Rule::AmdSouthbridge, kAmdSb},
    {kAmd, 0x780f, Rule::AmdSouthbridge, kAmdSb},
    {kAmd, 0x7809, Rule::AmdSouthbridge, kAmdSb},
    {kSolarflare, 0x0903, Rule::MultiFunction, kMf},
    {kSolarflare, 0x0923, Rule::MultiFunction, kMf},
    {kSolarflare, 0x0a03, Rule::MultiFunction, kMf},
    // Intel 82598, 82599, X540, X550 and X710 families, 82580, 82576,
    // 82575, I350, 82571, I219.
    {kIntel, 0x10c6, Rule::MultiFunction, kMf},
    {kIntel, 0x10db, Rule::MultiFunction, kMf},
    {kIntel, 0x10dd, Rule::MultiFunction, kMf},
    {kIntel, 0x10e1, Rule::MultiFunction, kMf},
    {kIntel, 0x10f1, Rule::MultiFunction, kMf},
    {kIntel, 0x10f7, Rule::MultiFunction, kMf},
    {kIntel, 0x10f8, Rule::MultiFunction, kMf},
    {kIntel, 0x10f9, Rule::MultiFunction, kMf},
    {kIntel, 0x10fa, Rule::MultiFunction, kMf},
    {kIntel, 0x10fb, Rule::MultiFunction, kMf},
    {kIntel, 0x10fc, Rule::MultiFunction, kMf},
    {kIntel, 0x1507, Rule::MultiFunction, kMf},
    {kIntel, 0x1514, Rule::MultiFunction, kMf},
    {kIntel, 0x151c, Rule::MultiFunction, kMf},
    {kIntel, 0x1529, Rule::MultiFunction, kMf},
    {kIntel, 0x152a, Rule::MultiFunction, kMf},
    {kIntel, 0x154d, Rule::MultiFunction, kMf},
    {kIntel, 0x154f, Rule::MultiFunction, kMf},
    {kIntel, 0x1551, Rule::MultiFunction, kMf},
    {kIntel, 0x1558, Rule::MultiFunction, kMf},
    {kIntel, 0x1509, Rule::MultiFunction, kMf},
    {kIntel, 0x150e, Rule::MultiFunction, kMf},
    {kIntel, 0x150f, Rule::MultiFunction, kMf},
    {kIntel, 0x1510, Rule::MultiFunction, kMf},
    {kIntel, 0x1511, Rule::MultiFunction, kMf},
    {kIntel, 0x1516, Rule::MultiFunction, kMf},
    {kIntel, 0x1527, Rule::MultiFunction, kMf},
    {kIntel, 0x10c9, Rule::MultiFunction, kMf},
    {kIntel, 0x10e6, Rule::MultiFunction, kMf},
    {kIntel, 0x10e7, Rule::MultiFunction, kMf},
    {kIntel, 0x10e8, Rule::MultiFunction, kMf},
    {kIntel, 0x150a, Rule::MultiFunction, kMf},
    {kIntel, 0x150d, Rule::MultiFunction, kMf},
    {kIntel, 0x1518, Rule::MultiFunction, kMf},
    {kIntel, 0x1526, Rule::MultiFunction, kMf},
    {kIntel, 0x10a7, Rule::MultiFunction, kMf},
    {kIntel, 0x10a9, Rule::MultiFunction, kMf},
    {kIntel, 0x10d6, Rule::MultiFunction, kMf},
    {kIntel, 0x1521, Rule::MultiFunction, kMf},
    {kIntel, 0x1522, Rule::MultiFunction, kMf},
    {kIntel, 0x1523, Rule::MultiFunction, kMf},
    {kIntel, 0x1524, Rule::MultiFunction, kMf},
    {kIntel, 0x105e, Rule::MultiFunction, kMf},
    {kIntel, 0x105f, Rule::MultiFunction, kMf},
    {kIntel, 0x1060, Rule::MultiFunction, kMf},
    {kIntel, 0x10d9, Rule::MultiFunction, kMf},
    {kIntel, 0x15b7, Rule::MultiFunction, kMf},
    {kIntel, 0x15b8, Rule::MultiFunction, kMf},
    {kIntel, kAny, Rule::IntelRcIntegrated, "pci_quirk_rciep_acs"},
    {kQcom, 0x0400, Rule::Isolating, kQcomRp},
    {kQcom, 0x0401, Rule::Isolating, kQcomRp},
    {kQcom, 0x0115, Rule::Isolating, kQcomRp},
    {kQcom, 0x0111, Rule::Isolating, kQcomRp},
    {kQcom, 0x0120, Rule::Isolating, kQcomRp},
    {kHxt, 0x0401, Rule::Isolating, kQcomRp},
    {kIntel, kAny, Rule::IntelPchRootPort, "pci_quirk_intel_pch_acs"},
    {kIntel, kAny, Rule::IntelSptPchRootPort, "pci_quirk_intel_spt_pch_acs"},
    {0x19a2, 0x0710, Rule::MultiFunction, kMf},  // Emulex BE3-R
    {0x10df, 0x0720, Rule::MultiFunction, kMf},  // Emulex Skyhawk-R
    {kCavium, kAny, Rule::CaviumRootPort, "pci_quirk_cavium_acs"},
    {kCavium, 0xa026, Rule::MultiFunction, kMf},
    {kCavium, 0xa059, Rule::MultiFunction, kMf},
    {kCavium, 0xa060, Rule::MultiFunction, kMf},
    {kAmcc, 0xe004, Rule::Isolating, kXgene},
    {kAmpere, 0xe005, Rule::Isolating, kXgene},
    {kAmpere, 0xe006, Rule::Isolating, kXgene},
    {kAmpere, 0xe007, Rule::Isolating, kXgene},
    {kAmpere, 0xe008, Rule::Isolating, kXgene},
    {kAmpere, 0xe009, Rule::Isolating, kXgene},
    {kAmpere, 0xe00a, Rule::Isolating, kXgene},
    {kAmpere, 0xe00b, Rule::Isolating, kXgene},
    {kAmpere, 0xe00c, Rule::Isolating, kXgene},
    {kBroadcom, 0x16d7, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1750, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1751, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1752, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1760, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1761, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1762, Rule::MultiFunction, kMf},
    {kBroadcom, 0x1763, Rule::MultiFunction, kMf},
    {kBroadcom, 0xd714, Rule::Isolating, "pci_quirk_brcm_acs"},
    {kLoongson, 0x3c09, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x3c19, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x3c29, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a09, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a19, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a29, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a39, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a49, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a59, Rule::Isolating, kLoongsonRp},
    {kLoongson, 0x7a69, Rule::Isolating, kLoongsonRp},
    {kAnnapurna, 0x0031, Rule::AnnapurnaRootPort, "pci_quirk_al_acs"},
    {kZhaoxin, 0x3038, Rule::MultiFunction, kMf},
    {kZhaoxin, 0x3104, Rule::MultiFunction, kMf},
    {kZhaoxin, 0x9083, Rule::MultiFunction, kMf},
    {kNxp, 0x8d81, Rule::Isolating, kNxpRp},
    {kNxp, 0x8da1, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d83, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d80, Rule::Isolating, kNxpRp},
    {kNxp, 0x8da0, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d82, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d90, Rule::Isolating, kNxpRp},
    {kNxp, 0x8db0, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d92, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d91, Rule::Isolating, kNxpRp},
    {kNxp, 0x8db1, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d93, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d89, Rule::Isolating, kNxpRp},
    {kNxp, 0x8da9, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d8b, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d88, Rule::Isolating, kNxpRp},
    {kNxp, 0x8da8, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d8a, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d98, Rule::Isolating, kNxpRp},
    {kNxp, 0x8db8, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d9a, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d99, Rule::Isolating, kNxpRp},
    {kNxp, 0x8db9, Rule::Isolating, kNxpRp},
    {kNxp, 0x8d9b, Rule::Isolating, kNxpRp},
    {kZhaoxin, kAny, Rule::ZhaoxinPort, "pci_quirk_zhaoxin_pcie_ports_acs"},
    {kWangxun, kAny, Rule::WangxunNic, "pci_quirk_wangxun_nic_acs"},
});

// Root ports Intel lists as isolating without an ACS capability (Red Hat
// bugzilla 1037684): Ibexpeak, Cougar Point, Panther Point, Lynx Point
// H and LP, Wildcat Point, Patsburg (X79), Wellsburg (X99), 9 series.
constexpr auto kIntelPchRootPorts = std::to_array<std::uint16_t>({
    0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49, 0x3b4a, 0x3b4b, 0x3b4c, 0x3b4d,
    0x3b4e, 0x3b4f, 0x3b50, 0x3b51, 0x1c10, 0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15, 0x1c16, 0x1c17,
    0x1c18, 0x1c19, 0x1c1a, 0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f, 0x1e10, 0x1e11, 0x1e12, 0x1e13,
    0x1e14, 0x1e15, 0x1e16, 0x1e17, 0x1e18, 0x1e19, 0x1e1a, 0x1e1b, 0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f,
    0x8c10, 0x8c11, 0x8c12, 0x8c13, 0x8c14, 0x8c15, 0x8c16, 0x8c17, 0x8c18, 0x8c19, 0x8c1a, 0x8c1b,
    0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f, 0x9c10, 0x9c11, 0x9c12, 0x9c13, 0x9c14, 0x9c15, 0x9c16, 0x9c17,
    0x9c18, 0x9c19, 0x9c1a, 0x9c1b, 0x9c90, 0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97,
    0x9c98, 0x9c99, 0x9c9a, 0x9c9b, 0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e,
    0x8d10, 0x8d11, 0x8d12, 0x8d13, 0x8d14, 0x8d15, 0x8d16, 0x8d17, 0x8d18, 0x8d19, 0x8d1a, 0x8d1b,
    0x8d1c, 0x8d1d, 0x8d1e, 0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e,
});

constexpr bool in(std::uint16_t d, std::uint16_t lo, std::uint16_t hi) {
  return d >= lo && d <= hi;
}

// One entry's answer; nullopt where Linux's function returns a negative
// errno (the search goes on).
std::optional<QuirkAnswer> answer(const Entry& e, std::uint16_t device, NodeKind kind,
                                  const Registers& own) {
  const bool root_port = kind == NodeKind::RootPort;
  // pci_acs_ctrl_enabled(flags, provided): as if the part implemented and
  // enabled exactly `provided`.
  const auto provides = [&](std::uint8_t provided) {
    return QuirkAnswer{e.function, Registers{true, provided, provided}};
  };
  const QuirkAnswer isolates = provides(kIsolated);
  const QuirkAnswer none{e.function, Registers{}};
  switch (e.rule) {
    case Rule::AmdSouthbridge:
      // Only with an AMD IOMMU (ACPI IVRS table): never beside this VT-d one.
      return std::nullopt;
    case Rule::MultiFunction:
      return provides(kIsolated | kTb | kDt);
    case Rule::IntelRcIntegrated:
      if (kind != NodeKind::RcIntegrated) return std::nullopt;
      return isolates;
    case Rule::Isolating:
      return isolates;
    case Rule::IntelPchRootPort:
      // pci_quirk_enable_intel_pch_acs turns the equivalent on at boot
      // (UPDCR peer decodes off, MPC.IRBNCE); a PCH always has the LPC
      // bridge's RCBA it needs.
      if (!root_port || std::find(kIntelPchRootPorts.begin(), kIntelPchRootPorts.end(), device) ==
                            kIntelPchRootPorts.end()) {
        return std::nullopt;
      }
      return isolates;
    case Rule::IntelSptPchRootPort:
      // Sunrise Point, Union Point, 7th/8th gen mobile: a real capability
      // with its control register at the wrong offset; Linux's enable quirk
      // sets SV, RR, CR and UF as far as the capability has them.
      if (!root_port || !own.has_acs ||
          !(in(device, 0xa110, 0xa11f) || in(device, 0xa167, 0xa16a) ||
            in(device, 0xa290, 0xa29f) || in(device, 0xa2e7, 0xa2ee) ||
            in(device, 0x9d10, 0x9d1b))) {
        return std::nullopt;
      }
      return QuirkAnswer{
          e.function,
          Registers{true, own.capability,
                    static_cast<std::uint8_t>(own.control | (own.capability & kIsolated))}};
    case Rule::CaviumRootPort:
      if (!root_port || !(in(device, 0xa000, 0xa7ff) || device == 0xaf84 || device == 0xb884)) {
        return std::nullopt;
      }
      return isolates;
    case Rule::AnnapurnaRootPort:
      if (!root_port) return std::nullopt;
      return isolates;
    case Rule::ZhaoxinPort:
      if (!root_port && kind != NodeKind::SwitchDownstream) return std::nullopt;
      if (in(device, 0x0710, 0x071e) || device == 0x0721 || in(device, 0x0723, 0x0752)) {
        return isolates;
      }
      // Any other Zhaoxin port: the function returns false (0, not a
      // negative errno), so Linux counts no control enabled whatever the
      // port's own ACS capability says.
      return none;
    case Rule::WangxunNic:
      if (in(device, 0x0100, 0x010f) || device == 0x1001 || device == 0x2001 || device == 0x5010 ||
          device == 0x5025 || device == 0x5040 || device == 0x5110 || device == 0x5125 ||
          device == 0x5140) {
        return isolates;
      }
      return none;
  }
  return std::nullopt;
}

}  // namespace

std::optional<QuirkAnswer> find_quirk(std::uint16_t vendor, std::uint16_t device, NodeKind kind,
                                      const Registers& own) {
  if (vendor == 0) return std::nullopt;
  for (const Entry& e : kTable) {
    if (e.vendor != vendor || (e.device != kAny && e.device != device)) continue;
    if (auto a = answer(e, device, kind, own)) return a;
  }
  return std::nullopt;
}

}  // namespace iommu_sim::acs
