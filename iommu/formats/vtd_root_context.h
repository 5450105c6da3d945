// VT-d scalable-mode root and context entries (VT-d spec 9.2 "Scalable-Mode
// Root Entry", 9.4 "Scalable-Mode Context-Entry"). Field positions checked
// against QEMU hw/i386/intel_iommu_internal.h (VTD_SM_CONTEXT_ENTRY_*) and
// Linux drivers/iommu/intel/iommu.h (context_set_sm_*).
#pragma once

#include <array>
#include <cstdint>

#include "iommu/formats/bitfield.h"

namespace iommu::vtd {

using formats::bit;
using formats::bits;
using formats::mask;
using formats::set_bit;
using formats::set_bits;

inline constexpr std::uint64_t kRootEntrySize = 16;
inline constexpr std::uint64_t kScalableContextEntrySize = 32;

// 128 bits. Lower half: devfn 0-127; upper half: devfn 128-255.
struct ScalableRootEntry {
  bool lower_present = false;             // LP, bit 0
  std::uint64_t lower_context_table = 0;  // LCTP, bits 63:12
  bool upper_present = false;             // UP, bit 64
  std::uint64_t upper_context_table = 0;  // UCTP, bits 127:76

  // Bits 11:1 of each half are reserved.
  static constexpr std::array<std::uint64_t, 2> reserved_mask{mask(11, 1), mask(11, 1)};

  static constexpr ScalableRootEntry decode(const std::array<std::uint64_t, 2>& raw) noexcept {
    return {bit(raw[0], 0), raw[0] & mask(63, 12), bit(raw[1], 0), raw[1] & mask(63, 12)};
  }
  constexpr std::array<std::uint64_t, 2> encode() const noexcept {
    return {(lower_context_table & mask(63, 12)) | (lower_present ? 1u : 0u),
            (upper_context_table & mask(63, 12)) | (upper_present ? 1u : 0u)};
  }
  bool operator==(const ScalableRootEntry&) const = default;
};

// 256 bits (4 qwords).
struct ScalableContextEntry {
  bool present = false;             // P, bit 0
  bool fpd = false;                 // FPD, bit 1: fault processing disable
  bool dte = false;                 // DTE, bit 2: device-TLB (ATS) enable
  bool paside = false;              // PASIDE, bit 3: requests with PASID allowed
  bool pre = false;                 // PRE, bit 4: page requests enable
  std::uint8_t pdts = 0;            // PDTS, bits 11:9: directory has 2^(PDTS+7) entries
  std::uint64_t pasid_dir_ptr = 0;  // PASIDDIRPTR, bits 63:12
  std::uint32_t rid_pasid = 0;      // RID_PASID, bits 83:64
  bool rid_priv = false;            // RID_PRIV, bit 84

  // QW0 bits 8:5 and QW1 bits 63:21 are reserved; QW2 and QW3 entirely.
  static constexpr std::array<std::uint64_t, 4> reserved_mask{mask(8, 5), mask(63, 21), ~0ull,
                                                              ~0ull};

  static constexpr ScalableContextEntry decode(const std::array<std::uint64_t, 4>& raw) noexcept {
    ScalableContextEntry e;
    e.present = bit(raw[0], 0);
    e.fpd = bit(raw[0], 1);
    e.dte = bit(raw[0], 2);
    e.paside = bit(raw[0], 3);
    e.pre = bit(raw[0], 4);
    e.pdts = static_cast<std::uint8_t>(bits(raw[0], 11, 9));
    e.pasid_dir_ptr = raw[0] & mask(63, 12);
    e.rid_pasid = static_cast<std::uint32_t>(bits(raw[1], 19, 0));
    e.rid_priv = bit(raw[1], 20);
    return e;
  }
  constexpr std::array<std::uint64_t, 4> encode() const noexcept {
    std::uint64_t q0 = pasid_dir_ptr & mask(63, 12);
    q0 = set_bit(q0, 0, present);
    q0 = set_bit(q0, 1, fpd);
    q0 = set_bit(q0, 2, dte);
    q0 = set_bit(q0, 3, paside);
    q0 = set_bit(q0, 4, pre);
    q0 = set_bits(q0, 11, 9, pdts);
    std::uint64_t q1 = set_bits(0, 19, 0, rid_pasid);
    q1 = set_bit(q1, 20, rid_priv);
    return {q0, q1, 0, 0};
  }
  bool operator==(const ScalableContextEntry&) const = default;
};

// The root table has 256 16-byte entries, indexed by bus number.
constexpr std::uint64_t root_entry_address(std::uint64_t root_table, std::uint8_t bus) noexcept {
  return (root_table & mask(63, 12)) + bus * kRootEntrySize;
}
// A scalable-mode context table holds 128 32-byte entries: devfn 0-127 in
// the table of LCTP, devfn 128-255 in that of UCTP, indexed by devfn[6:0].
constexpr std::uint64_t scalable_context_entry_address(std::uint64_t context_table,
                                                       std::uint8_t devfn) noexcept {
  return (context_table & mask(63, 12)) + (devfn & 0x7fu) * kScalableContextEntrySize;
}

}  // namespace iommu::vtd
