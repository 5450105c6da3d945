// TLP counts and wire sizes of DMA reads and writes, and the rate a link
// leaves for TLPs, computed by hand from the PCIe Base specification's
// sizes (pcie/tlp_wire.h): every TLP is wrapped in 8 bytes (sequence number,
// LCRC, framing); memory requests below 4 GiB carry a 12-byte (3 DW)
// header, above it 16 bytes (4 DW); completions a 12-byte header.
#include <gtest/gtest.h>

#include "pcie/tlp_wire.h"

namespace iommu_sim {
namespace {

using pcie_wire::Tlps;
using pcie_wire::Transfer;

constexpr std::uint64_t kLow = 0x100000;         // 32-bit addressable: 3 DW headers
constexpr std::uint64_t kHigh = 0x100000000ull;  // 4 GiB: 4 DW headers

TEST(TlpWire, WritesAreOneMwrPerMpsBlockEachWithItsHeader) {
  // 64 B: one MWr of 8 + 12 + 64 bytes, whatever the MPS.
  EXPECT_EQ(pcie_wire::write(kLow, 64, 128).up, (Tlps{1, 84}));
  EXPECT_EQ(pcie_wire::write(kLow, 64, 256).up, (Tlps{1, 84}));
  // 256 B: two TLPs at MPS 128 (2 x 20 + 256), one at MPS 256 (20 + 256).
  EXPECT_EQ(pcie_wire::write(kLow, 256, 128).up, (Tlps{2, 296}));
  EXPECT_EQ(pcie_wire::write(kLow, 256, 256).up, (Tlps{1, 276}));
  // 4 KiB: 32 TLPs at MPS 128 (32 x 20 + 4096), 16 at MPS 256 (16 x 20 + 4096).
  EXPECT_EQ(pcie_wire::write(kLow, 4096, 128).up, (Tlps{32, 4736}));
  EXPECT_EQ(pcie_wire::write(kLow, 4096, 256).up, (Tlps{16, 4416}));
  // Posted: nothing comes back, no tag.
  EXPECT_EQ(pcie_wire::write(kLow, 4096, 256).down, (Tlps{0, 0}));
  EXPECT_EQ(pcie_wire::write(kLow, 4096, 256).read_requests, 0u);
  // Above 4 GiB the header is 4 DW: 8 + 16 + 64.
  EXPECT_EQ(pcie_wire::write(kHigh, 64, 256).up, (Tlps{1, 88}));
}

TEST(TlpWire, ReadsAreHeaderOnlyRequestsUpAndRcbCompletionsDown) {
  // 64 B: one MRd (8 + 12) up; one CplD (8 + 12 + 64) down.
  const Transfer r64 = pcie_wire::read(kLow, 64, 512, 64);
  EXPECT_EQ(r64.up, (Tlps{1, 20}));
  EXPECT_EQ(r64.down, (Tlps{1, 84}));
  EXPECT_EQ(r64.read_requests, 1u);
  // 256 B at MRRS 512: one MRd; four 64 B completions (4 x 20 + 256).
  const Transfer r256 = pcie_wire::read(kLow, 256, 512, 64);
  EXPECT_EQ(r256.up, (Tlps{1, 20}));
  EXPECT_EQ(r256.down, (Tlps{4, 336}));
  // 4 KiB at MRRS 512: eight MRd (8 x 20), eight tags; 64 completions of
  // 64 B (64 x 20 + 4096), or 32 of 128 B with RCB 128 (32 x 20 + 4096).
  const Transfer r4k = pcie_wire::read(kLow, 4096, 512, 64);
  EXPECT_EQ(r4k.up, (Tlps{8, 160}));
  EXPECT_EQ(r4k.read_requests, 8u);
  EXPECT_EQ(r4k.down, (Tlps{64, 5376}));
  EXPECT_EQ(pcie_wire::read(kLow, 4096, 512, 128).down, (Tlps{32, 4736}));
  // Above 4 GiB the MRd has a 4 DW header (8 + 16); completions do not change.
  EXPECT_EQ(pcie_wire::read(kHigh, 64, 512, 64).up, (Tlps{1, 24}));
  EXPECT_EQ(pcie_wire::read(kHigh, 64, 512, 64).down, (Tlps{1, 84}));
}

TEST(TlpWire, AReadCrossingAnRcbComesBackInTwoCompletions) {
  // 64 B from 0x20 into the line: bytes 0x20-0x3f and 0x40-0x5f lie in two
  // 64 B blocks, so two CplD of 32 B each: 2 x 20 + 64.
  const Transfer r = pcie_wire::read(kLow + 0x20, 64, 512, 64);
  EXPECT_EQ(r.up, (Tlps{1, 20}));
  EXPECT_EQ(r.down, (Tlps{2, 104}));
  // With RCB 128 the same bytes sit in one 128 B block: one completion.
  EXPECT_EQ(pcie_wire::read(kLow + 0x20, 64, 512, 128).down, (Tlps{1, 84}));
  // A 512 B read from 0x100 crosses an MRRS boundary: two MRd, two tags.
  EXPECT_EQ(pcie_wire::read(kLow + 0x100, 512, 512, 64).read_requests, 2u);
}

TEST(TlpWire, TranslationRequestIsOneReadOfOneEightByteTranslation) {
  const Transfer t = pcie_wire::translation_request(kHigh);
  EXPECT_EQ(t.up, (Tlps{1, 24}));
  EXPECT_EQ(t.down, (Tlps{1, 28}));
  EXPECT_EQ(t.read_requests, 1u);
}

TEST(TlpWire, RawRateIsTransfersTimesEncodingTimesLanes) {
  EXPECT_DOUBLE_EQ(pcie_wire::raw_gbps({.gen = 1, .width = 1}), 2.0);  // 2.5 x 8/10
  EXPECT_DOUBLE_EQ(pcie_wire::raw_gbps({.gen = 2, .width = 4}), 16.0);
  EXPECT_DOUBLE_EQ(pcie_wire::raw_gbps({.gen = 3, .width = 8}), 8.0 * 128 / 130 * 8);
  EXPECT_DOUBLE_EQ(pcie_wire::raw_gbps({.gen = 5, .width = 16}), 32.0 * 128 / 130 * 16);
}

TEST(TlpWire, DllpsAndSkipsTakeTheirShareOfTheRawRate) {
  // Gen3 x8, MPS 256: an ACK and an UpdateFC of 8 B each per 203 symbols
  // and 4 B of SKIP per 1538: 63.02 Gb/s x (1 - 16/203 - 4/1538) = 57.88.
  const LinkParams g3x8{.gen = 3, .width = 8};
  EXPECT_NEAR(pcie_wire::dllp_overhead(g3x8, 256), 16.0 / 203 + 4.0 / 1538, 1e-12);
  EXPECT_NEAR(pcie_wire::tlp_gbps(g3x8, 256), 57.8848, 1e-4);
  // Gen1 x1, MPS 128: limit 237 symbols: 2 x (1 - 16/237 - 4/1538).
  EXPECT_NEAR(pcie_wire::tlp_gbps({.gen = 1, .width = 1}, 128), 2.0 * (1 - 16.0 / 237 - 4.0 / 1538),
              1e-12);
  // Gen4 and Gen5 use the 8 GT/s intervals.
  EXPECT_NEAR(pcie_wire::dllp_overhead({.gen = 5, .width = 16}, 512), 16.0 / 182 + 4.0 / 1538,
              1e-12);
}

}  // namespace
}  // namespace iommu_sim
