// VT-d remapping-unit registers (VT-d spec 11.4): offsets, command and
// status bits, and the capability registers. Offsets and bits checked
// against QEMU hw/i386/intel_iommu_internal.h (DMAR_*_REG, VTD_GCMD_*,
// VTD_GSTS_*, VTD_FSTS_*) and Linux drivers/iommu/intel/iommu.h (cap_*, ecap_*).
#pragma once

#include <cstdint>

#include "iommu/formats/bitfield.h"

namespace iommu::vtd {

inline constexpr std::uint64_t kRegVer = 0x00;
inline constexpr std::uint64_t kRegCap = 0x08;
inline constexpr std::uint64_t kRegEcap = 0x10;
inline constexpr std::uint64_t kRegGcmd = 0x18;  // 32-bit
inline constexpr std::uint64_t kRegGsts = 0x1c;  // 32-bit
inline constexpr std::uint64_t kRegRtaddr = 0x20;
inline constexpr std::uint64_t kRegCcmd = 0x28;
inline constexpr std::uint64_t kRegFsts = 0x34;  // 32-bit
inline constexpr std::uint64_t kRegFectl = 0x38;
inline constexpr std::uint64_t kRegIqh = 0x80;
inline constexpr std::uint64_t kRegIqt = 0x88;
inline constexpr std::uint64_t kRegIqa = 0x90;
inline constexpr std::uint64_t kRegIcs = 0x9c;  // 32-bit

// GCMD / GSTS (11.4.4, 11.4.5).
inline constexpr std::uint32_t kGcmdTe = 1u << 31;
inline constexpr std::uint32_t kGcmdSrtp = 1u << 30;
inline constexpr std::uint32_t kGcmdQie = 1u << 26;
inline constexpr std::uint32_t kGstsTes = 1u << 31;
inline constexpr std::uint32_t kGstsRtps = 1u << 30;
inline constexpr std::uint32_t kGstsQies = 1u << 26;

// RTADDR (11.4.6): TTM bits 11:10, 01b = scalable mode.
inline constexpr std::uint64_t kRtaddrScalableMode = 1ull << 10;
constexpr unsigned rtaddr_ttm(std::uint64_t rtaddr) noexcept {
  return static_cast<unsigned>(formats::bits(rtaddr, 11, 10));
}

// FSTS (11.4.7.1).
inline constexpr std::uint32_t kFstsPfo = 1u << 0;
inline constexpr std::uint32_t kFstsPpf = 1u << 1;
inline constexpr std::uint32_t kFstsIqe = 1u << 4;
inline constexpr std::uint32_t kFstsIce = 1u << 5;
inline constexpr std::uint32_t kFstsIte = 1u << 6;
constexpr unsigned fsts_fri(std::uint32_t fsts) noexcept {
  return (fsts >> 8) & 0xff;
}

// IQA (11.4.9.3): base 63:12, DW bit 11 (256-bit descriptors), QS 2:0
// (2^QS 4 KiB pages). ICS (11.4.9.4): IWC bit 0.
inline constexpr std::uint64_t kIqaDw256 = 1ull << 11;
inline constexpr std::uint32_t kIcsIwc = 1u << 0;

// Capability register (11.4.2).
struct CapRegister {
  std::uint8_t nd = 0;     // 2:0 number of domains: 2^(4+2*ND)
  bool afl = false;        // 3
  bool rwbf = false;       // 4
  bool plmr = false;       // 5
  bool phmr = false;       // 6
  bool cm = false;         // 7 caching mode
  std::uint8_t sagaw = 0;  // 12:8
  std::uint8_t mgaw = 0;   // 21:16 (width - 1)
  bool zlr = false;        // 22
  std::uint16_t fro = 0;   // 33:24 fault-recording offset in 16-byte units
  std::uint8_t sllps = 0;  // 37:34
  bool psi = false;        // 39
  std::uint8_t nfr = 0;    // 47:40 number of fault records - 1
  std::uint8_t mamv = 0;   // 53:48
  bool dwd = false;        // 54
  bool drd = false;        // 55
  bool fl1gp = false;      // 56
  bool pi = false;         // 59
  bool fl5lp = false;      // 60

  static constexpr CapRegister decode(std::uint64_t v) noexcept {
    using formats::bit;
    using formats::bits;
    CapRegister c;
    c.nd = static_cast<std::uint8_t>(bits(v, 2, 0));
    c.afl = bit(v, 3);
    c.rwbf = bit(v, 4);
    c.plmr = bit(v, 5);
    c.phmr = bit(v, 6);
    c.cm = bit(v, 7);
    c.sagaw = static_cast<std::uint8_t>(bits(v, 12, 8));
    c.mgaw = static_cast<std::uint8_t>(bits(v, 21, 16));
    c.zlr = bit(v, 22);
    c.fro = static_cast<std::uint16_t>(bits(v, 33, 24));
    c.sllps = static_cast<std::uint8_t>(bits(v, 37, 34));
    c.psi = bit(v, 39);
    c.nfr = static_cast<std::uint8_t>(bits(v, 47, 40));
    c.mamv = static_cast<std::uint8_t>(bits(v, 53, 48));
    c.dwd = bit(v, 54);
    c.drd = bit(v, 55);
    c.fl1gp = bit(v, 56);
    c.pi = bit(v, 59);
    c.fl5lp = bit(v, 60);
    return c;
  }
  constexpr std::uint64_t encode() const noexcept {
    using formats::set_bit;
    using formats::set_bits;
    std::uint64_t v = set_bits(0, 2, 0, nd);
    v = set_bit(v, 3, afl);
    v = set_bit(v, 4, rwbf);
    v = set_bit(v, 5, plmr);
    v = set_bit(v, 6, phmr);
    v = set_bit(v, 7, cm);
    v = set_bits(v, 12, 8, sagaw);
    v = set_bits(v, 21, 16, mgaw);
    v = set_bit(v, 22, zlr);
    v = set_bits(v, 33, 24, fro);
    v = set_bits(v, 37, 34, sllps);
    v = set_bit(v, 39, psi);
    v = set_bits(v, 47, 40, nfr);
    v = set_bits(v, 53, 48, mamv);
    v = set_bit(v, 54, dwd);
    v = set_bit(v, 55, drd);
    v = set_bit(v, 56, fl1gp);
    v = set_bit(v, 59, pi);
    v = set_bit(v, 60, fl5lp);
    return v;
  }
  bool operator==(const CapRegister&) const = default;
};

// Extended capability register (11.4.3).
struct EcapRegister {
  bool c = false;         // 0 page-walk coherency
  bool qi = false;        // 1 queued invalidation
  bool dt = false;        // 2 device TLB
  bool ir = false;        // 3 interrupt remapping
  bool eim = false;       // 4
  bool pt = false;        // 6 pass-through
  bool sc = false;        // 7 snoop control
  std::uint16_t iro = 0;  // 17:8 IOTLB register offset in 16-byte units
  std::uint8_t mhmv = 0;  // 23:20
  bool nest = false;      // 26 nested translation
  bool prs = false;       // 29 page requests
  bool ers = false;       // 30 execute requests
  bool srs = false;       // 31 supervisor requests
  bool nwfs = false;      // 33
  bool eafs = false;      // 34
  std::uint8_t pss = 0;   // 39:35 PASID size - 1
  bool pasid = false;     // 40
  bool dit = false;       // 41
  bool pds = false;       // 42
  bool smts = false;      // 43 scalable mode
  bool vcs = false;       // 44
  bool slads = false;     // 45
  bool slts = false;      // 46 second-level translation
  bool flts = false;      // 47 first-level translation
  bool smpwcs = false;    // 48
  bool rps = false;       // 49

  static constexpr EcapRegister decode(std::uint64_t v) noexcept {
    using formats::bit;
    using formats::bits;
    EcapRegister e;
    e.c = bit(v, 0);
    e.qi = bit(v, 1);
    e.dt = bit(v, 2);
    e.ir = bit(v, 3);
    e.eim = bit(v, 4);
    e.pt = bit(v, 6);
    e.sc = bit(v, 7);
    e.iro = static_cast<std::uint16_t>(bits(v, 17, 8));
    e.mhmv = static_cast<std::uint8_t>(bits(v, 23, 20));
    e.nest = bit(v, 26);
    e.prs = bit(v, 29);
    e.ers = bit(v, 30);
    e.srs = bit(v, 31);
    e.nwfs = bit(v, 33);
    e.eafs = bit(v, 34);
    e.pss = static_cast<std::uint8_t>(bits(v, 39, 35));
    e.pasid = bit(v, 40);
    e.dit = bit(v, 41);
    e.pds = bit(v, 42);
    e.smts = bit(v, 43);
    e.vcs = bit(v, 44);
    e.slads = bit(v, 45);
    e.slts = bit(v, 46);
    e.flts = bit(v, 47);
    e.smpwcs = bit(v, 48);
    e.rps = bit(v, 49);
    return e;
  }
  constexpr std::uint64_t encode() const noexcept {
    using formats::set_bit;
    using formats::set_bits;
    std::uint64_t v = 0;
    v = set_bit(v, 0, c);
    v = set_bit(v, 1, qi);
    v = set_bit(v, 2, dt);
    v = set_bit(v, 3, ir);
    v = set_bit(v, 4, eim);
    v = set_bit(v, 6, pt);
    v = set_bit(v, 7, sc);
    v = set_bits(v, 17, 8, iro);
    v = set_bits(v, 23, 20, mhmv);
    v = set_bit(v, 26, nest);
    v = set_bit(v, 29, prs);
    v = set_bit(v, 30, ers);
    v = set_bit(v, 31, srs);
    v = set_bit(v, 33, nwfs);
    v = set_bit(v, 34, eafs);
    v = set_bits(v, 39, 35, pss);
    v = set_bit(v, 40, pasid);
    v = set_bit(v, 41, dit);
    v = set_bit(v, 42, pds);
    v = set_bit(v, 43, smts);
    v = set_bit(v, 44, vcs);
    v = set_bit(v, 45, slads);
    v = set_bit(v, 46, slts);
    v = set_bit(v, 47, flts);
    v = set_bit(v, 48, smpwcs);
    v = set_bit(v, 49, rps);
    return v;
  }
  bool operator==(const EcapRegister&) const = default;
};

}  // namespace iommu::vtd
