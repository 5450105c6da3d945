// VT-d fault reasons (VT-d spec 7.1.3 and appendix "Non-Recoverable Fault
// Reason Encodings") and the primary fault recording register (VT-d spec
// 11.4.14). Codes and meanings checked against Linux drivers/iommu/dmar.c
// (dma_remap_fault_reasons, dma_remap_sm_fault_reasons) and QEMU.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "iommu/formats/bitfield.h"

namespace iommu::vtd {

enum class FaultReason : std::uint8_t {
  // Legacy-mode reasons.
  kRootEntryNotPresent = 0x01,
  kContextEntryNotPresent = 0x02,
  kInvalidContextEntry = 0x03,
  kAddressBeyondMgaw = 0x04,
  kWriteDenied = 0x05,
  kReadDenied = 0x06,
  kPagingEntryAccess = 0x07,
  kRootTableAccess = 0x08,
  kContextTableAccess = 0x09,
  kRootEntryReserved = 0x0a,
  kContextEntryReserved = 0x0b,
  kPagingEntryReserved = 0x0c,
  kBlockedByContextTt = 0x0d,
  // Scalable-mode reasons.
  kSmInvalidRootTableAddress = 0x30,
  kSmTtm0PasidRequest = 0x31,
  kSmTtm0PageGroupRequest = 0x32,
  kSmRootEntryAccess = 0x38,
  kSmRootEntryNotPresent = 0x39,
  kSmRootEntryReserved = 0x3a,
  kSmContextEntryAccess = 0x40,
  kSmContextEntryNotPresent = 0x41,
  kSmContextEntryReserved = 0x42,
  kSmInvalidContextEntry = 0x43,
  kSmDteClear = 0x44,
  kSmPasidEnableClear = 0x45,
  kSmPasidTooLarge = 0x46,
  kSmPreClear = 0x47,
  kSmRidPasidError = 0x48,
  kSmPasidDirAccess = 0x50,
  kSmPasidDirEntryNotPresent = 0x51,
  kSmPasidDirEntryReserved = 0x52,
  kSmPasidEntryAccess = 0x58,
  kSmPasidEntryNotPresent = 0x59,
  kSmPasidEntryReserved = 0x5a,
  kSmInvalidPasidEntry = 0x5b,
  kSmEreClear = 0x5c,
  kSmSreClear = 0x5d,
  kSmFirstLevelEntryAccess = 0x70,
  kSmFirstLevelEntryNotPresent = 0x71,
  kSmFirstLevelEntryReserved = 0x72,
  kSmFlPml4Access = 0x73,
  kSmNestedFirstLevelBeyondMgaw = 0x74,
  kSmNestedFlPml4ReadDenied = 0x75,
  kSmNestedFirstLevelReadDenied = 0x76,
  kSmNestedFirstLevelWriteDenied = 0x77,
  kSmSecondLevelEntryAccess = 0x78,
  kSmSecondLevelPermission = 0x79,
  kSmSecondLevelEntryReserved = 0x7a,
  kSmInvalidSlptptr = 0x7b,
  kSmSecondLevelAdNoSnoop = 0x7c,
  kSmNonCanonical = 0x80,
  kSmUserAccessSupervisorPage = 0x81,
  kSmExecuteDenied = 0x82,
  kSmAddressBeyondMax = 0x83,
  kSmSecondLevelAddressBeyondMax = 0x84,
  kSmWriteDenied = 0x85,
  kSmReadDenied = 0x86,
  kSmInvalidInterruptAddress = 0x87,
  kSmFirstLevelAdNoSnoop = 0x90,
};

constexpr std::string_view fault_reason_name(FaultReason r) noexcept {
  switch (r) {
    case FaultReason::kRootEntryNotPresent:
      return "root entry not present";
    case FaultReason::kContextEntryNotPresent:
      return "context entry not present";
    case FaultReason::kInvalidContextEntry:
      return "invalid context entry";
    case FaultReason::kAddressBeyondMgaw:
      return "address beyond MGAW";
    case FaultReason::kWriteDenied:
      return "write denied";
    case FaultReason::kReadDenied:
      return "read denied";
    case FaultReason::kPagingEntryAccess:
      return "paging entry access error";
    case FaultReason::kRootTableAccess:
      return "root table access error";
    case FaultReason::kContextTableAccess:
      return "context table access error";
    case FaultReason::kRootEntryReserved:
      return "reserved bits in root entry";
    case FaultReason::kContextEntryReserved:
      return "reserved bits in context entry";
    case FaultReason::kPagingEntryReserved:
      return "reserved bits in paging entry";
    case FaultReason::kBlockedByContextTt:
      return "blocked by context translation type";
    case FaultReason::kSmInvalidRootTableAddress:
      return "SM: invalid root table address";
    case FaultReason::kSmTtm0PasidRequest:
      return "SM: legacy mode (TTM 0) for request with PASID";
    case FaultReason::kSmTtm0PageGroupRequest:
      return "SM: legacy mode (TTM 0) for page group request";
    case FaultReason::kSmRootEntryAccess:
      return "SM: root entry access error";
    case FaultReason::kSmRootEntryNotPresent:
      return "SM: root entry not present";
    case FaultReason::kSmRootEntryReserved:
      return "SM: reserved bits in root entry";
    case FaultReason::kSmContextEntryAccess:
      return "SM: context entry access error";
    case FaultReason::kSmContextEntryNotPresent:
      return "SM: context entry not present";
    case FaultReason::kSmContextEntryReserved:
      return "SM: reserved bits in context entry";
    case FaultReason::kSmInvalidContextEntry:
      return "SM: invalid context entry";
    case FaultReason::kSmDteClear:
      return "SM: DTE clear in context entry";
    case FaultReason::kSmPasidEnableClear:
      return "SM: PASID enable clear in context entry";
    case FaultReason::kSmPasidTooLarge:
      return "SM: PASID beyond the PASID directory";
    case FaultReason::kSmPreClear:
      return "SM: PRE clear in context entry";
    case FaultReason::kSmRidPasidError:
      return "SM: RID_PASID error in context entry";
    case FaultReason::kSmPasidDirAccess:
      return "SM: PASID directory entry access error";
    case FaultReason::kSmPasidDirEntryNotPresent:
      return "SM: PASID directory entry not present";
    case FaultReason::kSmPasidDirEntryReserved:
      return "SM: reserved bits in PASID directory entry";
    case FaultReason::kSmPasidEntryAccess:
      return "SM: PASID table entry access error";
    case FaultReason::kSmPasidEntryNotPresent:
      return "SM: PASID table entry not present";
    case FaultReason::kSmPasidEntryReserved:
      return "SM: reserved bits in PASID table entry";
    case FaultReason::kSmInvalidPasidEntry:
      return "SM: invalid PASID table entry";
    case FaultReason::kSmEreClear:
      return "SM: execute request with ERE clear";
    case FaultReason::kSmSreClear:
      return "SM: supervisor request with SRE clear";
    case FaultReason::kSmFirstLevelEntryAccess:
      return "SM: first-level entry access error";
    case FaultReason::kSmFirstLevelEntryNotPresent:
      return "SM: first-level entry not present";
    case FaultReason::kSmFirstLevelEntryReserved:
      return "SM: reserved bits in first-level entry";
    case FaultReason::kSmFlPml4Access:
      return "SM: first-level PML4 entry access error";
    case FaultReason::kSmNestedFirstLevelBeyondMgaw:
      return "SM: nested first-level address beyond MGAW";
    case FaultReason::kSmNestedFlPml4ReadDenied:
      return "SM: nested read denied to first-level PML4";
    case FaultReason::kSmNestedFirstLevelReadDenied:
      return "SM: nested read denied to first-level entry";
    case FaultReason::kSmNestedFirstLevelWriteDenied:
      return "SM: nested write denied to first-level entry";
    case FaultReason::kSmSecondLevelEntryAccess:
      return "SM: second-level entry access error";
    case FaultReason::kSmSecondLevelPermission:
      return "SM: second-level permission denied";
    case FaultReason::kSmSecondLevelEntryReserved:
      return "SM: reserved bits in second-level entry";
    case FaultReason::kSmInvalidSlptptr:
      return "SM: invalid second-level table pointer";
    case FaultReason::kSmSecondLevelAdNoSnoop:
      return "SM: second-level A/D update without snoop";
    case FaultReason::kSmNonCanonical:
      return "SM: non-canonical first-level address";
    case FaultReason::kSmUserAccessSupervisorPage:
      return "SM: user request to supervisor page (U/S=0)";
    case FaultReason::kSmExecuteDenied:
      return "SM: execute request to XD page";
    case FaultReason::kSmAddressBeyondMax:
      return "SM: address beyond the hardware maximum";
    case FaultReason::kSmSecondLevelAddressBeyondMax:
      return "SM: second-level address beyond maximum";
    case FaultReason::kSmWriteDenied:
      return "SM: write to read-only page";
    case FaultReason::kSmReadDenied:
      return "SM: read denied";
    case FaultReason::kSmInvalidInterruptAddress:
      return "SM: invalid interrupt address";
    case FaultReason::kSmFirstLevelAdNoSnoop:
      return "SM: first-level A/D update without snoop";
  }
  return "unknown fault reason";
}

// The section of the VT-d specification (rev. 4) whose check a fault
// reason reports: the structure's format chapter for entry faults, the
// translation chapter for address and rights faults. Every reason is
// listed in the fault-reason table of section 7.1.3.
constexpr std::string_view fault_reason_section(FaultReason r) noexcept {
  const auto v = static_cast<unsigned>(r);
  if (v >= 0x38 && v <= 0x3a) return "9.2 (scalable-mode root entry)";
  if (v >= 0x40 && v <= 0x48) return "9.4 (scalable-mode context entry)";
  if (v >= 0x50 && v <= 0x52) return "9.5 (PASID directory entry)";
  if (v >= 0x58 && v <= 0x5d) return "9.6 (PASID table entry)";
  if (v >= 0x70 && v <= 0x73) return "9.7 (first-level paging entries)";
  if (v >= 0x74 && v <= 0x77) return "3.8 (nested translation)";
  if (v >= 0x78 && v <= 0x7c) return "9.8 (second-level paging entries)";
  if (v == 0x80) return "3.6.1 (first-level translation: canonical addresses)";
  if (v == 0x81 || v == 0x82 || v == 0x85 || v == 0x86) return "3.6.2 (access rights)";
  if (v == 0x83 || v == 0x84) return "3.6, 3.7 (address widths)";
  if (v == 0x90) return "3.6.3 (accessed and dirty flags)";
  return "7.1.3 (fault reasons)";
}

// Primary fault recording register, 128 bits (VT-d spec 11.4.14).
// Positions checked against Linux dmar.c (dma_frcd_*) and QEMU (VTD_FRCD_*).
struct FaultRecord {
  std::uint64_t fi = 0;   // FI, bits 63:12: faulting page address
  std::uint16_t sid = 0;  // SID, bits 79:64: requester ID
  bool pp = false;        // PP, bit 95: PASID present
  std::uint8_t fr = 0;    // FR, bits 103:96: fault reason
  std::uint32_t pv = 0;   // PV, bits 123:104: PASID value
  bool t = false;         // T, bit 126: 0 = write request, 1 = read request
  bool f = false;         // F, bit 127: fault (software writes 1 to clear)

  static constexpr FaultRecord decode(const std::array<std::uint64_t, 2>& raw) noexcept {
    using formats::bit;
    using formats::bits;
    FaultRecord r;
    r.fi = raw[0] & formats::mask(63, 12);
    r.sid = static_cast<std::uint16_t>(bits(raw[1], 15, 0));
    r.pp = bit(raw[1], 31);
    r.fr = static_cast<std::uint8_t>(bits(raw[1], 39, 32));
    r.pv = static_cast<std::uint32_t>(bits(raw[1], 59, 40));
    r.t = bit(raw[1], 62);
    r.f = bit(raw[1], 63);
    return r;
  }
  constexpr std::array<std::uint64_t, 2> encode() const noexcept {
    using formats::set_bit;
    using formats::set_bits;
    std::uint64_t hi = set_bits(0, 15, 0, sid);
    hi = set_bit(hi, 31, pp);
    hi = set_bits(hi, 39, 32, fr);
    hi = set_bits(hi, 59, 40, pv);
    hi = set_bit(hi, 62, t);
    hi = set_bit(hi, 63, f);
    return {fi & formats::mask(63, 12), hi};
  }
  bool operator==(const FaultRecord&) const = default;
};

}  // namespace iommu::vtd
