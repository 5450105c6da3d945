#include "pcie/tlp_wire.h"

#include <array>
#include <bit>

namespace iommu_sim::pcie_wire {

namespace {

// ACK limit = UpdateFC interval, in symbols, by generation (1, 2, 3 and
// above), width (x1, x2, x4, x8, x16) and MPS (128 ... 4096): PCIe Base spec
// rev 5.0 tables 3-7 to 3-9 and 2-46 to 2-48 as pcie-model lists them (the
// two tables agree up to x16).
using ByMps = std::array<std::uint32_t, 6>;
constexpr std::array<std::array<ByMps, 5>, 3> kAckLimit{{
    {{{237, 416, 559, 1071, 2095, 4143},
      {128, 217, 289, 545, 1057, 2081},
      {73, 118, 154, 282, 538, 1050},
      {67, 107, 86, 150, 278, 534},
      {48, 72, 86, 150, 278, 534}}},
    {{{288, 467, 610, 1122, 2146, 4194},
      {179, 268, 340, 596, 1108, 2132},
      {124, 169, 205, 333, 589, 1101},
      {118, 158, 137, 201, 329, 585},
      {99, 123, 137, 201, 329, 585}}},
    {{{333, 512, 655, 1167, 2191, 4239},
      {224, 313, 385, 641, 1153, 2177},
      {169, 214, 250, 378, 634, 1146},
      {163, 203, 182, 246, 374, 630},
      {144, 168, 182, 246, 374, 630}}},
}};
constexpr double kDllpBytes = 8.0;  // 2 B framing + 4 B DLLP + 2 B CRC
constexpr double kSkipBytes = 4.0, kSkipInterval = 1538.0;

}  // namespace

double raw_gbps(const LinkParams& link) {
  static constexpr std::array<double, 5> kGts{2.5, 5.0, 8.0, 16.0, 32.0};
  // 8b/10b up to 5 GT/s, 128b/130b from 8 GT/s (PCIe Base spec 4.2.1, 4.2.2).
  const double encoding = link.gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;
  return kGts.at(link.gen - 1) * encoding * link.width;
}

double dllp_overhead(const LinkParams& link, std::uint32_t mps) {
  const std::size_t gen = link.gen >= 3 ? 2 : link.gen - 1;
  const auto width = static_cast<std::size_t>(std::countr_zero(link.width));
  const auto size = static_cast<std::size_t>(std::countr_zero(mps) - 7);
  const double limit = kAckLimit.at(gen).at(width).at(size);
  // One ACK and one UpdateFC per interval.
  return 2.0 * kDllpBytes / limit + kSkipBytes / kSkipInterval;
}

double tlp_gbps(const LinkParams& link, std::uint32_t mps) {
  return raw_gbps(link) * (1.0 - dllp_overhead(link, mps));
}

}  // namespace iommu_sim::pcie_wire
