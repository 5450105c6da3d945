// VT-d queued-invalidation descriptors, 128-bit forms (VT-d spec 6.5.2).
// In 256-bit mode (IQA.DW=1) the upper 128 bits are reserved for these
// types. Positions checked against Linux drivers/iommu/intel/iommu.h
// (QI_*) and QEMU (VTD_INV_DESC_*).
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "iommu/formats/bitfield.h"

namespace iommu::vtd {

inline constexpr unsigned kDescContextCache = 0x1;
inline constexpr unsigned kDescIotlb = 0x2;
inline constexpr unsigned kDescDeviceTlb = 0x3;
inline constexpr unsigned kDescIec = 0x4;
inline constexpr unsigned kDescWait = 0x5;
inline constexpr unsigned kDescPasidIotlb = 0x6;
inline constexpr unsigned kDescPasidCache = 0x7;
inline constexpr unsigned kDescPasidDeviceTlb = 0x8;

// Descriptor type: bits 3:0, extended by bits 11:9 (as type[6:4]).
constexpr unsigned descriptor_type(std::uint64_t qw0) noexcept {
  return static_cast<unsigned>(formats::bits(qw0, 3, 0) | formats::bits(qw0, 11, 9) << 4);
}

using Descriptor = std::array<std::uint64_t, 2>;

enum class ContextCacheGranularity : std::uint8_t { Global = 1, Domain = 2, Device = 3 };

// 6.5.2.1 Context-cache invalidate descriptor.
struct ContextCacheInvDesc {
  ContextCacheGranularity granularity = ContextCacheGranularity::Global;  // G, bits 5:4
  std::uint16_t did = 0;                                                  // DID, bits 31:16
  std::uint16_t sid = 0;                                                  // SID, bits 47:32
  std::uint8_t fm = 0;  // FM, bits 49:48: function mask

  static constexpr ContextCacheInvDesc decode(const Descriptor& d) noexcept {
    using formats::bits;
    return {static_cast<ContextCacheGranularity>(bits(d[0], 5, 4)),
            static_cast<std::uint16_t>(bits(d[0], 31, 16)),
            static_cast<std::uint16_t>(bits(d[0], 47, 32)),
            static_cast<std::uint8_t>(bits(d[0], 49, 48))};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bits;
    std::uint64_t q0 = kDescContextCache;
    q0 = set_bits(q0, 5, 4, static_cast<std::uint8_t>(granularity));
    q0 = set_bits(q0, 31, 16, did);
    q0 = set_bits(q0, 47, 32, sid);
    q0 = set_bits(q0, 49, 48, fm);
    return {q0, 0};
  }
  bool operator==(const ContextCacheInvDesc&) const = default;
};

enum class IotlbGranularity : std::uint8_t { Global = 1, Domain = 2, Page = 3 };

// 6.5.2.3 IOTLB invalidate descriptor.
struct IotlbInvDesc {
  IotlbGranularity granularity = IotlbGranularity::Global;  // G, bits 5:4
  bool dw = false;                                          // DW, bit 6: drain writes
  bool dr = false;                                          // DR, bit 7: drain reads
  std::uint16_t did = 0;                                    // DID, bits 31:16
  std::uint64_t addr = 0;                                   // ADDR, bits 127:76
  bool ih = false;      // IH, bit 70: invalidation hint (leaf only)
  std::uint8_t am = 0;  // AM, bits 69:64: address mask

  static constexpr IotlbInvDesc decode(const Descriptor& d) noexcept {
    using formats::bit;
    using formats::bits;
    return {static_cast<IotlbGranularity>(bits(d[0], 5, 4)),
            bit(d[0], 6),
            bit(d[0], 7),
            static_cast<std::uint16_t>(bits(d[0], 31, 16)),
            d[1] & formats::mask(63, 12),
            bit(d[1], 6),
            static_cast<std::uint8_t>(bits(d[1], 5, 0))};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bit;
    using formats::set_bits;
    std::uint64_t q0 = kDescIotlb;
    q0 = set_bits(q0, 5, 4, static_cast<std::uint8_t>(granularity));
    q0 = set_bit(q0, 6, dw);
    q0 = set_bit(q0, 7, dr);
    q0 = set_bits(q0, 31, 16, did);
    std::uint64_t q1 = addr & formats::mask(63, 12);
    q1 = set_bit(q1, 6, ih);
    q1 = set_bits(q1, 5, 0, am);
    return {q0, q1};
  }
  bool operator==(const IotlbInvDesc&) const = default;
};

// 6.5.2.5 Device-TLB invalidate descriptor.
struct DeviceTlbInvDesc {
  std::uint8_t qdep = 0;    // invalidate queue depth, bits 20:16
  std::uint16_t sid = 0;    // SID, bits 47:32
  std::uint16_t pfsid = 0;  // PFSID: bits 15:12 (low 4) and 63:52 (high 12)
  std::uint64_t addr = 0;   // ADDR, bits 127:76
  bool s = false;           // S, bit 64: size (range encoded in ADDR)

  static constexpr DeviceTlbInvDesc decode(const Descriptor& d) noexcept {
    using formats::bits;
    return {static_cast<std::uint8_t>(bits(d[0], 20, 16)),
            static_cast<std::uint16_t>(bits(d[0], 47, 32)),
            static_cast<std::uint16_t>(bits(d[0], 15, 12) | bits(d[0], 63, 52) << 4),
            d[1] & formats::mask(63, 12), formats::bit(d[1], 0)};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bits;
    std::uint64_t q0 = kDescDeviceTlb;
    q0 = set_bits(q0, 20, 16, qdep);
    q0 = set_bits(q0, 47, 32, sid);
    q0 = set_bits(q0, 15, 12, pfsid & 0xf);
    q0 = set_bits(q0, 63, 52, pfsid >> 4);
    return {q0, (addr & formats::mask(63, 12)) | (s ? 1u : 0u)};
  }
  bool operator==(const DeviceTlbInvDesc&) const = default;
};

// 6.5.2.6 PASID-based device-TLB invalidate descriptor (Linux QI_DEV_EIOTLB_*).
struct PasidDeviceTlbInvDesc {
  std::uint8_t qdep = 0;    // invalidate queue depth, bits 8:4
  std::uint16_t sid = 0;    // SID, bits 31:16
  std::uint32_t pasid = 0;  // PASID, bits 51:32
  std::uint16_t pfsid = 0;  // PFSID: bits 15:12 (low 4) and 63:52 (high 12)
  bool g = false;           // G, bit 64: every PASID of the device
  bool s = false;           // S, bit 75: size encoded in ADDR
  std::uint64_t addr = 0;   // ADDR, bits 127:76

  static constexpr PasidDeviceTlbInvDesc decode(const Descriptor& d) noexcept {
    using formats::bits;
    return {static_cast<std::uint8_t>(bits(d[0], 8, 4)),
            static_cast<std::uint16_t>(bits(d[0], 31, 16)),
            static_cast<std::uint32_t>(bits(d[0], 51, 32)),
            static_cast<std::uint16_t>(bits(d[0], 15, 12) | bits(d[0], 63, 52) << 4),
            formats::bit(d[1], 0),
            formats::bit(d[1], 11),
            d[1] & formats::mask(63, 12)};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bits;
    std::uint64_t q0 = kDescPasidDeviceTlb;
    q0 = set_bits(q0, 8, 4, qdep);
    q0 = set_bits(q0, 31, 16, sid);
    q0 = set_bits(q0, 51, 32, pasid);
    q0 = set_bits(q0, 15, 12, pfsid & 0xf);
    q0 = set_bits(q0, 63, 52, pfsid >> 4);
    std::uint64_t q1 = addr & formats::mask(63, 12);
    q1 = formats::set_bit(q1, 0, g);
    q1 = formats::set_bit(q1, 11, s);
    return {q0, q1};
  }
  bool operator==(const PasidDeviceTlbInvDesc&) const = default;
};

// The range of a device-TLB invalidation (PCIe ATS Invalidate Request, as
// VT-d 6.5.2.5/6.5.2.6 carry it): with S clear one 4 KiB page; with S set,
// the number t of 1s above bit 11 of ADDR says the range is 2^(13+t) bytes.
struct AtsRange {
  std::uint64_t base = 0, size = 4096;
};
constexpr AtsRange ats_range_decode(std::uint64_t addr, bool s) noexcept {
  if (!s) return {addr & formats::mask(63, 12), 4096};
  unsigned t = 0;
  while (t < 52 && ((addr >> (12 + t)) & 1) != 0) ++t;
  if (13 + t >= 64) return {0, ~0ull};  // every address
  const std::uint64_t size = 1ull << (13 + t);
  return {addr & ~(size - 1), size};
}
// ADDR and S for the naturally aligned 2^(12+order)-byte region at `base`
// (Linux qi_flush_dev_iotlb_pasid).
constexpr std::pair<std::uint64_t, bool> ats_range_encode(std::uint64_t base,
                                                          unsigned order) noexcept {
  if (order == 0) return {base & formats::mask(63, 12), false};
  std::uint64_t addr = base | formats::mask(12 + order - 1, 12);
  addr &= ~(1ull << (12 + order - 1));
  return {addr, true};
}

// 6.5.2.8 Invalidation wait descriptor.
struct InvWaitDesc {
  bool iflag = false;             // IF, bit 4: set ICS.IWC (interrupt)
  bool sw = false;                // SW, bit 5: write status data
  bool fn = false;                // FN, bit 6: fence
  bool pd = false;                // PD, bit 7: page-request drain
  std::uint32_t status_data = 0;  // bits 63:32
  std::uint64_t status_addr = 0;  // bits 127:66 (dword aligned)

  static constexpr InvWaitDesc decode(const Descriptor& d) noexcept {
    using formats::bit;
    return {bit(d[0], 4),
            bit(d[0], 5),
            bit(d[0], 6),
            bit(d[0], 7),
            static_cast<std::uint32_t>(formats::bits(d[0], 63, 32)),
            d[1] & formats::mask(63, 2)};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bit;
    std::uint64_t q0 = kDescWait;
    q0 = set_bit(q0, 4, iflag);
    q0 = set_bit(q0, 5, sw);
    q0 = set_bit(q0, 6, fn);
    q0 = set_bit(q0, 7, pd);
    q0 = formats::set_bits(q0, 63, 32, status_data);
    return {q0, status_addr & formats::mask(63, 2)};
  }
  bool operator==(const InvWaitDesc&) const = default;
};

enum class PasidIotlbGranularity : std::uint8_t { Pasid = 2, Page = 3 };

// 6.5.2.4 PASID-based IOTLB invalidate descriptor.
struct PasidIotlbInvDesc {
  PasidIotlbGranularity granularity = PasidIotlbGranularity::Pasid;  // G, bits 5:4
  std::uint16_t did = 0;                                             // DID, bits 31:16
  std::uint32_t pasid = 0;                                           // PASID, bits 51:32
  std::uint64_t addr = 0;                                            // ADDR, bits 127:76
  bool ih = false;                                                   // IH, bit 70
  std::uint8_t am = 0;                                               // AM, bits 69:64

  static constexpr PasidIotlbInvDesc decode(const Descriptor& d) noexcept {
    using formats::bits;
    return {static_cast<PasidIotlbGranularity>(bits(d[0], 5, 4)),
            static_cast<std::uint16_t>(bits(d[0], 31, 16)),
            static_cast<std::uint32_t>(bits(d[0], 51, 32)),
            d[1] & formats::mask(63, 12),
            formats::bit(d[1], 6),
            static_cast<std::uint8_t>(bits(d[1], 5, 0))};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bits;
    std::uint64_t q0 = kDescPasidIotlb;
    q0 = set_bits(q0, 5, 4, static_cast<std::uint8_t>(granularity));
    q0 = set_bits(q0, 31, 16, did);
    q0 = set_bits(q0, 51, 32, pasid);
    std::uint64_t q1 = addr & formats::mask(63, 12);
    q1 = formats::set_bit(q1, 6, ih);
    q1 = set_bits(q1, 5, 0, am);
    return {q0, q1};
  }
  bool operator==(const PasidIotlbInvDesc&) const = default;
};

enum class PasidCacheGranularity : std::uint8_t { Domain = 0, Pasid = 1, Global = 3 };

// 6.5.2.2 PASID-cache invalidate descriptor.
struct PasidCacheInvDesc {
  PasidCacheGranularity granularity = PasidCacheGranularity::Domain;  // G, bits 5:4
  std::uint16_t did = 0;                                              // DID, bits 31:16
  std::uint32_t pasid = 0;                                            // PASID, bits 51:32

  static constexpr PasidCacheInvDesc decode(const Descriptor& d) noexcept {
    using formats::bits;
    return {static_cast<PasidCacheGranularity>(bits(d[0], 5, 4)),
            static_cast<std::uint16_t>(bits(d[0], 31, 16)),
            static_cast<std::uint32_t>(bits(d[0], 51, 32))};
  }
  constexpr Descriptor encode() const noexcept {
    using formats::set_bits;
    std::uint64_t q0 = kDescPasidCache;
    q0 = set_bits(q0, 5, 4, static_cast<std::uint8_t>(granularity));
    q0 = set_bits(q0, 31, 16, did);
    q0 = set_bits(q0, 51, 32, pasid);
    return {q0, 0};
  }
  bool operator==(const PasidCacheInvDesc&) const = default;
};

}  // namespace iommu::vtd
