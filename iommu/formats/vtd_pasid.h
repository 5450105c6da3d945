// VT-d scalable-mode PASID directory and PASID table entries (VT-d spec 9.5
// "Scalable-Mode PASID Directory Entry", 9.6 "Scalable-Mode PASID Table
// Entry"). Positions checked against Linux drivers/iommu/intel/pasid.h
// (pasid_set_*) and QEMU (VTD_SM_PASID_ENTRY_*, VTD_PASID_DIR_*).
#pragma once

#include <array>
#include <cstdint>

#include "iommu/formats/bitfield.h"

namespace iommu::vtd {

inline constexpr std::uint64_t kPasidDirEntrySize = 8;
inline constexpr std::uint64_t kPasidEntrySize = 64;

// PASID-granular translation type (PGTT, PASID entry bits 8:6).
enum class Pgtt : std::uint8_t { FirstLevel = 1, SecondLevel = 2, Nested = 3, PassThrough = 4 };

// The directory is indexed by PASID[19:6], each table by PASID[5:0].
constexpr std::uint64_t pasid_dir_index(std::uint32_t pasid) noexcept {
  return (pasid >> 6) & 0x3fff;
}
constexpr std::uint64_t pasid_table_index(std::uint32_t pasid) noexcept {
  return pasid & 0x3f;
}

struct PasidDirEntry {
  bool present = false;               // P, bit 0
  bool fpd = false;                   // FPD, bit 1
  std::uint64_t pasid_table_ptr = 0;  // SMPTBLPTR, bits 63:12

  static constexpr std::uint64_t reserved_mask = formats::mask(11, 2);

  static constexpr PasidDirEntry decode(std::uint64_t raw) noexcept {
    return {formats::bit(raw, 0), formats::bit(raw, 1), raw & formats::mask(63, 12)};
  }
  constexpr std::uint64_t encode() const noexcept {
    return (pasid_table_ptr & formats::mask(63, 12)) | (fpd ? 2u : 0u) | (present ? 1u : 0u);
  }
  bool operator==(const PasidDirEntry&) const = default;
};

// 512 bits (8 qwords); QW3-QW7 are reserved in this revision.
struct PasidEntry {
  // QW0
  bool present = false;       // P, bit 0
  bool fpd = false;           // FPD, bit 1
  std::uint8_t aw = 0;        // AW, bits 4:2: second-level address width
  bool ssee = false;          // SSEE, bit 5: second-stage execute enable
  std::uint8_t pgtt = 0;      // PGTT, bits 8:6 (raw: invalid values stay visible)
  bool ssade = false;         // SSADE, bit 9: second-stage A/D enable
  std::uint64_t slptptr = 0;  // SLPTPTR, bits 63:12
  // QW1
  std::uint16_t did = 0;  // DID, bits 79:64
  bool pwsnp = false;     // PWSNP, bit 87: page-walk snoop
  bool pgsnp = false;     // PGSNP, bit 88: page snoop
  // QW2
  bool sre = false;           // SRE, bit 128: supervisor requests enable
  std::uint8_t flpm = 0;      // FLPM, bits 131:130: 0 = 4-level, 1 = 5-level
  bool wpe = false;           // WPE, bit 132: write protect enable
  bool eafe = false;          // EAFE, bit 135: extended access flag enable
  std::uint64_t flptptr = 0;  // FLPTPTR, bits 191:140

  static constexpr PasidEntry decode(const std::array<std::uint64_t, 8>& raw) noexcept {
    using formats::bit;
    using formats::bits;
    PasidEntry e;
    e.present = bit(raw[0], 0);
    e.fpd = bit(raw[0], 1);
    e.aw = static_cast<std::uint8_t>(bits(raw[0], 4, 2));
    e.ssee = bit(raw[0], 5);
    e.pgtt = static_cast<std::uint8_t>(bits(raw[0], 8, 6));
    e.ssade = bit(raw[0], 9);
    e.slptptr = raw[0] & formats::mask(63, 12);
    e.did = static_cast<std::uint16_t>(bits(raw[1], 15, 0));
    e.pwsnp = bit(raw[1], 23);
    e.pgsnp = bit(raw[1], 24);
    e.sre = bit(raw[2], 0);
    e.flpm = static_cast<std::uint8_t>(bits(raw[2], 3, 2));
    e.wpe = bit(raw[2], 4);
    e.eafe = bit(raw[2], 7);
    e.flptptr = raw[2] & formats::mask(63, 12);
    return e;
  }
  constexpr std::array<std::uint64_t, 8> encode() const noexcept {
    using formats::set_bit;
    using formats::set_bits;
    std::uint64_t q0 = slptptr & formats::mask(63, 12);
    q0 = set_bit(q0, 0, present);
    q0 = set_bit(q0, 1, fpd);
    q0 = set_bits(q0, 4, 2, aw);
    q0 = set_bit(q0, 5, ssee);
    q0 = set_bits(q0, 8, 6, pgtt);
    q0 = set_bit(q0, 9, ssade);
    std::uint64_t q1 = set_bits(0, 15, 0, did);
    q1 = set_bit(q1, 23, pwsnp);
    q1 = set_bit(q1, 24, pgsnp);
    std::uint64_t q2 = flptptr & formats::mask(63, 12);
    q2 = set_bit(q2, 0, sre);
    q2 = set_bits(q2, 3, 2, flpm);
    q2 = set_bit(q2, 4, wpe);
    q2 = set_bit(q2, 7, eafe);
    return {q0, q1, q2, 0, 0, 0, 0, 0};
  }
  bool operator==(const PasidEntry&) const = default;
};

}  // namespace iommu::vtd
