// Every field of every VT-d structure the model reads or writes, encoded
// alone and compared with a raw value computed by hand from the bit
// position the specification gives (section named on each test), then
// decoded back. A wrong bit position fails here.
#include <gtest/gtest.h>

#include <set>
#include <string_view>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_registers.h"
#include "iommu/formats/vtd_root_context.h"

namespace iommu::vtd {
namespace {

template <class T, class Raw>
void expect_field(const T& value, const Raw& raw, const char* what) {
  EXPECT_EQ(value.encode(), raw) << what;
  EXPECT_EQ(T::decode(raw), value) << what;
}

TEST(VtdFormats, BitfieldHelpers) {
  EXPECT_EQ(formats::mask(63, 12), 0xfffffffffffff000ull);
  EXPECT_EQ(formats::mask(3, 0), 0xfull);
  EXPECT_EQ(formats::bits(0xabcd, 11, 4), 0xbcull);
  EXPECT_EQ(formats::set_bits(0, 51, 32, 0x1ffffff), 0x000fffff00000000ull);  // masked to 20 bits
}

// VT-d spec 9.2: scalable-mode root entry.
TEST(VtdFormats, ScalableRootEntry) {
  using A = std::array<std::uint64_t, 2>;
  ScalableRootEntry e{};
  e.lower_present = true;
  expect_field(e, A{0x1, 0x0}, "LP bit 0");
  e = {};
  e.lower_context_table = 0x123456789000;
  expect_field(e, A{0x123456789000, 0x0}, "LCTP 63:12");
  e = {};
  e.upper_present = true;
  expect_field(e, A{0x0, 0x1}, "UP bit 64");
  e = {};
  e.upper_context_table = 0xfedcba000;
  expect_field(e, A{0x0, 0xfedcba000}, "UCTP 127:76");
  EXPECT_EQ(root_entry_address(0x10000, 3), 0x10030u);
  EXPECT_EQ(scalable_context_entry_address(0x20000, 0x85), 0x200a0u);  // devfn 0x85 -> index 5
}

// VT-d spec 9.4: scalable-mode context entry.
TEST(VtdFormats, ScalableContextEntry) {
  using A = std::array<std::uint64_t, 4>;
  ScalableContextEntry e{};
  e.present = true;
  expect_field(e, A{0x1, 0, 0, 0}, "P bit 0");
  e = {};
  e.fpd = true;
  expect_field(e, A{0x2, 0, 0, 0}, "FPD bit 1");
  e = {};
  e.dte = true;
  expect_field(e, A{0x4, 0, 0, 0}, "DTE bit 2");
  e = {};
  e.paside = true;
  expect_field(e, A{0x8, 0, 0, 0}, "PASIDE bit 3");
  e = {};
  e.pre = true;
  expect_field(e, A{0x10, 0, 0, 0}, "PRE bit 4");
  e = {};
  e.pdts = 7;
  expect_field(e, A{0xe00, 0, 0, 0}, "PDTS 11:9");
  e = {};
  e.pasid_dir_ptr = 0xabcdef000;
  expect_field(e, A{0xabcdef000, 0, 0, 0}, "PASIDDIRPTR 63:12");
  e = {};
  e.rid_pasid = 0xfffff;
  expect_field(e, A{0, 0xfffff, 0, 0}, "RID_PASID 83:64");
  e = {};
  e.rid_priv = true;
  expect_field(e, A{0, 0x100000, 0, 0}, "RID_PRIV bit 84");
}

// VT-d spec 9.5 / 9.6: PASID directory and table entries.
TEST(VtdFormats, PasidDirectoryEntry) {
  PasidDirEntry e{};
  e.present = true;
  expect_field(e, std::uint64_t{0x1}, "P bit 0");
  e = {};
  e.fpd = true;
  expect_field(e, std::uint64_t{0x2}, "FPD bit 1");
  e = {};
  e.pasid_table_ptr = 0x7654321000;
  expect_field(e, std::uint64_t{0x7654321000}, "SMPTBLPTR 63:12");
  EXPECT_EQ(pasid_dir_index(0xfffff), 0x3fffu);
  EXPECT_EQ(pasid_table_index(0xfffff), 0x3fu);
  EXPECT_EQ(pasid_dir_index(64), 1u);
}

TEST(VtdFormats, PasidTableEntry) {
  using A = std::array<std::uint64_t, 8>;
  auto only = [](unsigned q, std::uint64_t v) {
    A a{};
    a[q] = v;
    return a;
  };
  PasidEntry e{};
  e.present = true;
  expect_field(e, only(0, 0x1), "P bit 0");
  e = {};
  e.fpd = true;
  expect_field(e, only(0, 0x2), "FPD bit 1");
  e = {};
  e.aw = 7;
  expect_field(e, only(0, 0x1c), "AW 4:2");
  e = {};
  e.ssee = true;
  expect_field(e, only(0, 0x20), "SSEE bit 5");
  e = {};
  e.pgtt = 4;
  expect_field(e, only(0, 0x100), "PGTT 8:6 = pass-through");
  e = {};
  e.pgtt = 7;
  expect_field(e, only(0, 0x1c0), "PGTT 8:6 all ones");
  e = {};
  e.ssade = true;
  expect_field(e, only(0, 0x200), "SSADE bit 9");
  e = {};
  e.slptptr = 0x55555000;
  expect_field(e, only(0, 0x55555000), "SLPTPTR 63:12");
  e = {};
  e.did = 0xbeef;
  expect_field(e, only(1, 0xbeef), "DID 79:64");
  e = {};
  e.pwsnp = true;
  expect_field(e, only(1, 0x800000), "PWSNP bit 87");
  e = {};
  e.pgsnp = true;
  expect_field(e, only(1, 0x1000000), "PGSNP bit 88");
  e = {};
  e.sre = true;
  expect_field(e, only(2, 0x1), "SRE bit 128");
  e = {};
  e.flpm = 1;
  expect_field(e, only(2, 0x4), "FLPM 131:130 = 5-level");
  e = {};
  e.wpe = true;
  expect_field(e, only(2, 0x10), "WPE bit 132");
  e = {};
  e.eafe = true;
  expect_field(e, only(2, 0x80), "EAFE bit 135");
  e = {};
  e.flptptr = 0xaaaa000;
  expect_field(e, only(2, 0xaaaa000), "FLPTPTR 191:140");
}

// VT-d spec 9.7: first-level (IA-32e) paging entry.
TEST(VtdFormats, FirstLevelEntry) {
  const std::pair<std::uint64_t, const char*> single_bits[] = {
      {0x1, "P"},  {0x2, "R/W"}, {0x4, "U/S"}, {0x8, "PWT"}, {0x10, "PCD"},
      {0x20, "A"}, {0x40, "D"},  {0x80, "PS"}, {0x100, "G"}, {0x8000000000000000ull, "XD"}};
  for (const auto& [raw, name] : single_bits) {
    const auto e = FirstLevelEntry::decode(raw);
    EXPECT_EQ(e.encode(), raw) << name;
    EXPECT_EQ(e.address, 0u) << name;
  }
  FirstLevelEntry e{};
  e.present = true;
  e.rw = true;
  e.address = 0x000fedcba9876000ull;
  expect_field(e, std::uint64_t{0x000fedcba9876003ull}, "address 51:12");
  EXPECT_TRUE(FirstLevelEntry::decode(0x8).pwt);
  EXPECT_TRUE(FirstLevelEntry::decode(0x100).global);
  EXPECT_TRUE(FirstLevelEntry::decode(0x8000000000000000ull).xd);
  // Bits 62:52 are ignored by hardware: not part of the address.
  EXPECT_EQ(FirstLevelEntry::decode(0x7ff0000000001000ull).address, 0x1000u);
  // iova 0x0000_ffff_ffff_f000: bits 47:12 all set, every index 0x1ff;
  // 0x0000_7fff_ffff_f000 clears bit 47, the top bit of the PML4 index.
  for (unsigned level = 1; level <= 4; ++level) {
    EXPECT_EQ(first_level_index(0x0000fffffffff000ull, level), 0x1ffu);
  }
  EXPECT_EQ(first_level_index(0x00007ffffffff000ull, 4), 0xffu);
  EXPECT_EQ(first_level_index(0x0000000040201000ull, 1), 1u);
  EXPECT_EQ(first_level_index(0x0000000040201000ull, 2), 1u);
  EXPECT_EQ(first_level_index(0x0000000040201000ull, 3), 1u);
  EXPECT_EQ(level_page_size(2), 2u << 20);
  EXPECT_EQ(first_level_reserved_mask(4, false, 52), 0x80u);
  EXPECT_EQ(first_level_reserved_mask(3, true, 52), 0x3fffe000u);
  EXPECT_EQ(first_level_reserved_mask(2, true, 46), 0x000fc00000000000ull | 0x1fe000u);
  EXPECT_EQ(first_level_reserved_mask(1, false, 52), 0u);
}

// VT-d spec 9.8: second-level paging entry.
TEST(VtdFormats, SecondLevelEntry) {
  const std::pair<std::uint64_t, const char*> single_bits[] = {
      {0x1, "R"},   {0x2, "W"},   {0x4, "X"},   {0x38, "EMT"},  {0x40, "IPAT"},
      {0x80, "PS"}, {0x100, "A"}, {0x200, "D"}, {0x800, "SNP"}, {0x4000000000000000ull, "TM"}};
  for (const auto& [raw, name] : single_bits) {
    EXPECT_EQ(SecondLevelEntry::decode(raw).encode(), raw) << name;
  }
  EXPECT_EQ(SecondLevelEntry::decode(0x38).emt, 7u);
  EXPECT_TRUE(SecondLevelEntry::decode(0x800).snp);
  EXPECT_EQ(SecondLevelEntry::decode(0x0000123456789000ull).address, 0x0000123456789000ull);
}

// VT-d spec 6.5.2: invalidation descriptors.
TEST(VtdFormats, DescriptorType) {
  EXPECT_EQ(descriptor_type(0x5), kDescWait);
  EXPECT_EQ(descriptor_type(0x206), 0x16u);  // bits 11:9 = 001 extend the type
  EXPECT_EQ(descriptor_type(0xfff0), 0x70u);
}

TEST(VtdFormats, ContextCacheInvalidation) {
  using A = Descriptor;
  ContextCacheInvDesc d{};
  d.granularity = ContextCacheGranularity::Device;
  expect_field(d, A{0x31, 0}, "G 5:4 = device");
  d = {};
  d.did = 0x1234;
  expect_field(d, A{0x12340011, 0}, "DID 31:16");
  d = {};
  d.sid = 0x0108;
  expect_field(d, A{0x0000010800000011ull, 0}, "SID 47:32");
  d = {};
  d.fm = 3;
  expect_field(d, A{0x0003000000000011ull, 0}, "FM 49:48");
}

TEST(VtdFormats, IotlbInvalidation) {
  using A = Descriptor;
  IotlbInvDesc d{};
  d.granularity = IotlbGranularity::Page;
  expect_field(d, A{0x32, 0}, "G 5:4 = page");
  d = {};
  d.dw = true;
  expect_field(d, A{0x52, 0}, "DW bit 6");
  d = {};
  d.dr = true;
  expect_field(d, A{0x92, 0}, "DR bit 7");
  d = {};
  d.did = 0xffff;
  expect_field(d, A{0xffff0012, 0}, "DID 31:16");
  d = {};
  d.addr = 0x7ff000;
  expect_field(d, A{0x12, 0x7ff000}, "ADDR 127:76");
  d = {};
  d.ih = true;
  expect_field(d, A{0x12, 0x40}, "IH bit 70");
  d = {};
  d.am = 0x3f;
  expect_field(d, A{0x12, 0x3f}, "AM 69:64");
}

TEST(VtdFormats, PasidIotlbInvalidation) {
  using A = Descriptor;
  PasidIotlbInvDesc d{};
  d.granularity = PasidIotlbGranularity::Page;
  expect_field(d, A{0x36, 0}, "G 5:4 = page");
  d = {};
  d.did = 0x00aa;
  expect_field(d, A{0x00aa0026, 0}, "DID 31:16");
  d = {};
  d.pasid = 0xfffff;
  expect_field(d, A{0x000fffff00000026ull, 0}, "PASID 51:32");
  d = {};
  d.addr = 0x40000000;
  d.am = 9;
  d.ih = true;
  expect_field(d, A{0x26, 0x40000049}, "ADDR, IH, AM");
}

TEST(VtdFormats, PasidCacheInvalidation) {
  using A = Descriptor;
  PasidCacheInvDesc d{};
  expect_field(d, A{0x7, 0}, "type 7, G 5:4 = 0 domain-selective");
  d.granularity = PasidCacheGranularity::Pasid;
  d.did = 2;
  d.pasid = 0x10;
  expect_field(d, A{0x0000001000020017ull, 0}, "G = PASID, DID, PASID");
  d = {};
  d.granularity = PasidCacheGranularity::Global;
  expect_field(d, A{0x37, 0}, "G = global");
}

TEST(VtdFormats, DeviceTlbInvalidation) {
  using A = Descriptor;
  DeviceTlbInvDesc d{};
  d.qdep = 0x1f;
  expect_field(d, A{0x1f0003, 0}, "QDEP 20:16");
  d = {};
  d.sid = 0xabcd;
  expect_field(d, A{0x0000abcd00000003ull, 0}, "SID 47:32");
  d = {};
  d.pfsid = 0xfff5;  // low 4 bits at 15:12, high 12 at 63:52
  expect_field(d, A{0xfff0000000005003ull, 0}, "PFSID");
  d = {};
  d.addr = 0x1000;
  d.s = true;
  expect_field(d, A{0x3, 0x1001}, "ADDR 127:76, S bit 64");
}

TEST(VtdFormats, InvalidationWait) {
  using A = Descriptor;
  InvWaitDesc d{};
  d.iflag = true;
  expect_field(d, A{0x15, 0}, "IF bit 4");
  d = {};
  d.sw = true;
  expect_field(d, A{0x25, 0}, "SW bit 5");
  d = {};
  d.fn = true;
  expect_field(d, A{0x45, 0}, "FN bit 6");
  d = {};
  d.pd = true;
  expect_field(d, A{0x85, 0}, "PD bit 7");
  d = {};
  d.status_data = 0xdeadbeef;
  expect_field(d, A{0xdeadbeef00000005ull, 0}, "status data 63:32");
  d = {};
  d.status_addr = 0x12345674;
  expect_field(d, A{0x5, 0x12345674}, "status address 127:66");
}

// VT-d spec 11.4.14: fault recording register.
TEST(VtdFormats, FaultRecord) {
  using A = std::array<std::uint64_t, 2>;
  FaultRecord r{};
  r.fi = 0xabc000;
  expect_field(r, A{0xabc000, 0}, "FI 63:12");
  r = {};
  r.sid = 0x0100;
  expect_field(r, A{0, 0x0100}, "SID 79:64");
  r = {};
  r.pp = true;
  expect_field(r, A{0, 0x80000000}, "PP bit 95");
  r = {};
  r.fr = 0x59;
  expect_field(r, A{0, 0x0000005900000000ull}, "FR 103:96");
  r = {};
  r.pv = 0xfffff;
  expect_field(r, A{0, 0x0fffff0000000000ull}, "PV 123:104");
  r = {};
  r.t = true;
  expect_field(r, A{0, 0x4000000000000000ull}, "T bit 126");
  r = {};
  r.f = true;
  expect_field(r, A{0, 0x8000000000000000ull}, "F bit 127");
  EXPECT_EQ(static_cast<unsigned>(FaultReason::kSmPasidEntryNotPresent), 0x59u);
  EXPECT_EQ(fault_reason_name(FaultReason::kSmWriteDenied), "SM: write to read-only page");
}

// VT-d spec 11.4.2 / 11.4.3: capability registers.
TEST(VtdFormats, CapabilityRegister) {
  const std::pair<std::uint64_t, const char*> fields[] = {{0x7, "ND 2:0"},
                                                          {0x8, "AFL"},
                                                          {0x10, "RWBF"},
                                                          {0x20, "PLMR"},
                                                          {0x40, "PHMR"},
                                                          {0x80, "CM"},
                                                          {0x1f00, "SAGAW 12:8"},
                                                          {0x3f0000, "MGAW 21:16"},
                                                          {0x400000, "ZLR"},
                                                          {0x3ff000000ull, "FRO 33:24"},
                                                          {0x3c00000000ull, "SLLPS 37:34"},
                                                          {0x8000000000ull, "PSI"},
                                                          {0xff0000000000ull, "NFR 47:40"},
                                                          {0x3f000000000000ull, "MAMV 53:48"},
                                                          {1ull << 54, "DWD"},
                                                          {1ull << 55, "DRD"},
                                                          {1ull << 56, "FL1GP"},
                                                          {1ull << 59, "PI"},
                                                          {1ull << 60, "FL5LP"}};
  for (const auto& [raw, name] : fields) {
    EXPECT_EQ(CapRegister::decode(raw).encode(), raw) << name;
    EXPECT_NE(CapRegister::decode(raw), CapRegister{}) << name;
  }
  EXPECT_EQ(CapRegister::decode(0x0000000040000000ull).fro, 0x40u);  // FRO 0x40 -> offset 0x400
  EXPECT_EQ(CapRegister::decode(0x2f0000).mgaw, 47u);
}

TEST(VtdFormats, ExtendedCapabilityRegister) {
  const std::pair<std::uint64_t, const char*> fields[] = {
      {1ull << 0, "C"},       {1ull << 1, "QI"},
      {1ull << 2, "DT"},      {1ull << 3, "IR"},
      {1ull << 4, "EIM"},     {1ull << 6, "PT"},
      {1ull << 7, "SC"},      {0x3ff00, "IRO 17:8"},
      {0xf00000, "MHMV"},     {1ull << 26, "NEST"},
      {1ull << 29, "PRS"},    {1ull << 30, "ERS"},
      {1ull << 31, "SRS"},    {1ull << 33, "NWFS"},
      {1ull << 34, "EAFS"},   {0xf800000000ull, "PSS 39:35"},
      {1ull << 40, "PASID"},  {1ull << 41, "DIT"},
      {1ull << 42, "PDS"},    {1ull << 43, "SMTS"},
      {1ull << 44, "VCS"},    {1ull << 45, "SLADS"},
      {1ull << 46, "SLTS"},   {1ull << 47, "FLTS"},
      {1ull << 48, "SMPWCS"}, {1ull << 49, "RPS"}};
  for (const auto& [raw, name] : fields) {
    EXPECT_EQ(EcapRegister::decode(raw).encode(), raw) << name;
    EXPECT_NE(EcapRegister::decode(raw), EcapRegister{}) << name;
  }
  EXPECT_EQ(EcapRegister::decode(0x9800000000ull).pss, 19u);
  EXPECT_TRUE(EcapRegister::decode(1ull << 43).smts);
  EXPECT_TRUE(EcapRegister::decode(1ull << 47).flts);
}

TEST(VtdFormats, RegisterOffsetsAndBits) {
  // VT-d spec 11.4 register map (QEMU DMAR_*_REG agree).
  EXPECT_EQ(kRegGsts, 0x1cu);
  EXPECT_EQ(kRegRtaddr, 0x20u);
  EXPECT_EQ(kRegFsts, 0x34u);
  EXPECT_EQ(kRegIqh, 0x80u);
  EXPECT_EQ(kRegIqt, 0x88u);
  EXPECT_EQ(kRegIqa, 0x90u);
  EXPECT_EQ(kRegIcs, 0x9cu);
  EXPECT_EQ(kGcmdTe, 0x80000000u);
  EXPECT_EQ(kGcmdSrtp, 0x40000000u);
  EXPECT_EQ(kGcmdQie, 0x04000000u);
  EXPECT_EQ(rtaddr_ttm(0x1000 | kRtaddrScalableMode), 1u);
  EXPECT_EQ(fsts_fri(0x0502), 5u);
  EXPECT_EQ(kFstsIqe, 0x10u);
  EXPECT_EQ(kIqaDw256, 0x800u);
}

TEST(VtdFormats, PasidDeviceTlbDescriptorMatchesLinuxQiDevEiotlb) {
  // Linux: QI_DEV_EIOTLB_PASID(p) << 32, _SID(sid) << 16, _QDEP(qd) << 4,
  // _PFSID: low 4 bits at 15:12, high 12 at 63:52; qw1 bit 0 G, bit 11 S.
  vtd::PasidDeviceTlbInvDesc d{};
  d.qdep = 3;
  d.sid = 0x0100;
  d.pasid = 0x12345;
  d.pfsid = 0xabcd;
  d.g = true;
  d.s = true;
  d.addr = 0x7000;
  const auto raw = d.encode();
  EXPECT_EQ(raw[0], 0x8ull | 3ull << 4 | 0x0100ull << 16 | 0x12345ull << 32 | 0xdull << 12 |
                        0xabcull << 52);
  EXPECT_EQ(raw[1], 0x7000ull | 1ull << 11 | 1ull);
  EXPECT_EQ(vtd::PasidDeviceTlbInvDesc::decode(raw), d);
  EXPECT_EQ(vtd::descriptor_type(raw[0]), vtd::kDescPasidDeviceTlb);
}

TEST(VtdFormats, AtsInvalidationRangeEncoding) {
  // S=0: one page. S=1: t ones from bit 12 mean 2^(13+t) bytes.
  EXPECT_EQ(vtd::ats_range_decode(0x5000, false).size, 4096u);
  for (unsigned order = 0; order < 20; ++order) {
    const std::uint64_t base = 1ull << 40;
    const auto [addr, s] = vtd::ats_range_encode(base, order);
    const auto r = vtd::ats_range_decode(addr, s);
    EXPECT_EQ(r.base, base) << order;
    EXPECT_EQ(r.size, 1ull << (12 + order)) << order;
  }
  EXPECT_EQ(vtd::ats_range_encode(0x200000, 1).first, 0x200000u);  // 8 KiB: S and no 1s
  EXPECT_EQ(vtd::ats_range_encode(0x200000, 3).first, 0x203000u);  // 32 KiB: two 1s
  const auto all = vtd::ats_range_encode(0, 52);
  EXPECT_EQ(vtd::ats_range_decode(all.first, all.second).size, ~0ull);
}

}  // namespace
}  // namespace iommu::vtd

namespace iommu::vtd {
namespace {

// VT-d rev. 4, section 7.1.3, tables 29 and 30: the fault reasons the
// remapping hardware reports, legacy (0x01-0x0d) and scalable mode.
constexpr unsigned kSpecReasons[] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x30, 0x31,
    0x32, 0x38, 0x39, 0x3a, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x50, 0x51,
    0x52, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x90};

TEST(FaultReasons, EverySpecReasonHasItsOwnNameAndNoOtherCodeHasOne) {
  std::set<std::string_view> names;
  std::set<unsigned> named;
  for (unsigned code = 0; code < 256; ++code) {
    const auto name = fault_reason_name(static_cast<FaultReason>(code));
    if (name == "unknown fault reason") continue;
    named.insert(code);
    EXPECT_TRUE(names.insert(name).second) << "0x" << std::hex << code << " repeats " << name;
    // Scalable-mode reasons (0x30 and up) say so.
    EXPECT_EQ(name.starts_with("SM: "), code >= 0x30) << std::hex << code << ": " << name;
  }
  EXPECT_EQ(named, std::set<unsigned>(std::begin(kSpecReasons), std::end(kSpecReasons)));
}

TEST(FaultReasons, SectionsFollowTheStructureThatFaulted) {
  const auto section = [](unsigned code) {
    return fault_reason_section(static_cast<FaultReason>(code));
  };
  EXPECT_EQ(section(0x39), "9.2 (scalable-mode root entry)");
  EXPECT_EQ(section(0x48), "9.4 (scalable-mode context entry)");
  EXPECT_EQ(section(0x51), "9.5 (PASID directory entry)");
  EXPECT_EQ(section(0x5d), "9.6 (PASID table entry)");
  EXPECT_EQ(section(0x71), "9.7 (first-level paging entries)");
  EXPECT_EQ(section(0x76), "3.8 (nested translation)");
  EXPECT_EQ(section(0x7c), "9.8 (second-level paging entries)");
  EXPECT_EQ(section(0x80), "3.6.1 (first-level translation: canonical addresses)");
  EXPECT_EQ(section(0x86), "3.6.2 (access rights)");
  EXPECT_EQ(section(0x84), "3.6, 3.7 (address widths)");
  EXPECT_EQ(section(0x90), "3.6.3 (accessed and dirty flags)");
  EXPECT_EQ(section(0x05), "7.1.3 (fault reasons)");
  EXPECT_EQ(fault_reason_name(FaultReason::kSmPasidTooLarge),
            "SM: PASID beyond the PASID directory");
  EXPECT_EQ(fault_reason_name(static_cast<FaultReason>(0xff)), "unknown fault reason");
}

}  // namespace
}  // namespace iommu::vtd
