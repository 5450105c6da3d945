// VT-d first-level paging entries, IA-32e format (VT-d spec 9.7 "First-Stage
// Paging Entries"; Intel SDM Vol. 3 4.5), and second-level paging entries
// (VT-d spec 9.8). Positions checked against Linux drivers/iommu/intel/
// iommu.h (DMA_FL_PTE_*, DMA_PTE_*) and QEMU (VTD_SL_*).
#pragma once

#include <cstdint>

#include "iommu/formats/bitfield.h"

namespace iommu::vtd {

// Index of `iova` in the table of `level` (1 = page table, 4 = PML4, 5 = PML5).
constexpr std::uint64_t first_level_index(std::uint64_t iova, unsigned level) noexcept {
  return (iova >> (12 + 9 * (level - 1))) & 0x1ff;
}
// Bytes mapped by a leaf at `level`: 4 KiB, 2 MiB, 1 GiB.
constexpr std::uint64_t level_page_size(unsigned level) noexcept {
  return 1ull << (12 + 9 * (level - 1));
}

struct FirstLevelEntry {
  bool present = false;       // P, bit 0
  bool rw = false;            // R/W, bit 1
  bool us = false;            // U/S, bit 2
  bool pwt = false;           // bit 3
  bool pcd = false;           // bit 4
  bool accessed = false;      // A, bit 5
  bool dirty = false;         // D, bit 6 (leaf only)
  bool ps = false;            // PS, bit 7 (PDE, PDPTE: leaf; PTE: PAT)
  bool global = false;        // G, bit 8
  std::uint64_t address = 0;  // bits 51:12: next table or page frame
  bool xd = false;            // XD, bit 63

  static constexpr FirstLevelEntry decode(std::uint64_t raw) noexcept {
    using formats::bit;
    return {bit(raw, 0), bit(raw, 1), bit(raw, 2), bit(raw, 3), bit(raw, 4),
            bit(raw, 5), bit(raw, 6), bit(raw, 7), bit(raw, 8), raw & formats::mask(51, 12),
            bit(raw, 63)};
  }
  constexpr std::uint64_t encode() const noexcept {
    using formats::set_bit;
    std::uint64_t v = address & formats::mask(51, 12);
    v = set_bit(v, 0, present);
    v = set_bit(v, 1, rw);
    v = set_bit(v, 2, us);
    v = set_bit(v, 3, pwt);
    v = set_bit(v, 4, pcd);
    v = set_bit(v, 5, accessed);
    v = set_bit(v, 6, dirty);
    v = set_bit(v, 7, ps);
    v = set_bit(v, 8, global);
    v = set_bit(v, 63, xd);
    return v;
  }
  bool operator==(const FirstLevelEntry&) const = default;
};

// Reserved bits of a present first-level entry (SDM Vol. 3 4.5, tables 4-15
// to 4-20; VT-d spec 3.6.1): address bits at and above the host address
// width; PS in PML5E and PML4E; for a 1 GiB leaf bits 29:13, for a 2 MiB leaf
// bits 20:13 (bit 12 is PAT there).
constexpr std::uint64_t first_level_reserved_mask(unsigned level, bool ps, unsigned haw) noexcept {
  std::uint64_t m = haw < 52 ? formats::mask(51, haw) : 0;
  if (level >= 4) m |= 1ull << 7;
  if (level == 3 && ps) m |= formats::mask(29, 13);
  if (level == 2 && ps) m |= formats::mask(20, 13);
  return m;
}

struct SecondLevelEntry {
  bool r = false;             // R, bit 0
  bool w = false;             // W, bit 1
  bool x = false;             // X, bit 2
  std::uint8_t emt = 0;       // EMT, bits 5:3
  bool ipat = false;          // IPAT, bit 6
  bool ps = false;            // PS, bit 7
  bool accessed = false;      // A, bit 8
  bool dirty = false;         // D, bit 9
  bool snp = false;           // SNP, bit 11
  std::uint64_t address = 0;  // bits 51:12
  bool tm = false;            // TM, bit 62

  static constexpr SecondLevelEntry decode(std::uint64_t raw) noexcept {
    using formats::bit;
    return {bit(raw, 0),  bit(raw, 1),
            bit(raw, 2),  static_cast<std::uint8_t>(formats::bits(raw, 5, 3)),
            bit(raw, 6),  bit(raw, 7),
            bit(raw, 8),  bit(raw, 9),
            bit(raw, 11), raw & formats::mask(51, 12),
            bit(raw, 62)};
  }
  constexpr std::uint64_t encode() const noexcept {
    using formats::set_bit;
    std::uint64_t v = address & formats::mask(51, 12);
    v = set_bit(v, 0, r);
    v = set_bit(v, 1, w);
    v = set_bit(v, 2, x);
    v = formats::set_bits(v, 5, 3, emt);
    v = set_bit(v, 6, ipat);
    v = set_bit(v, 7, ps);
    v = set_bit(v, 8, accessed);
    v = set_bit(v, 9, dirty);
    v = set_bit(v, 11, snp);
    v = set_bit(v, 62, tm);
    return v;
  }
  bool operator==(const SecondLevelEntry&) const = default;
};

// Second-level reserved bits of a present entry (VT-d spec 9.8, second-stage
// paging entries): address bits at and above the host address width; PS in
// SL-PML5E and SL-PML4E; the frame bits below the page size in a 1 GiB
// (29:12) or 2 MiB (20:12) leaf.
constexpr std::uint64_t second_level_reserved_mask(unsigned level, bool ps, unsigned haw) noexcept {
  std::uint64_t m = haw < 52 ? formats::mask(51, haw) : 0;
  if (level >= 4) m |= 1ull << 7;
  if (level == 3 && ps) m |= formats::mask(29, 12);
  if (level == 2 && ps) m |= formats::mask(20, 12);
  return m;
}

// PASID-entry AW (and context-entry AW) to second-level paging levels
// (VT-d spec 9.6, AW field; CAP.SAGAW bit n means AW=n is supported):
// 1 = 39-bit 3-level, 2 = 48-bit 4-level, 3 = 57-bit 5-level; 0 otherwise.
constexpr unsigned second_level_levels(std::uint8_t aw) noexcept {
  return aw >= 1 && aw <= 3 ? aw + 2u : 0u;
}
// Input address width of an n-level table: 12 + 9n bits.
constexpr unsigned paging_address_width(unsigned levels) noexcept {
  return 12 + 9 * levels;
}

}  // namespace iommu::vtd
