// Each fault reason the walk can raise, produced by a crafted table
// (VT-d spec 7.1.3, scalable-mode fault conditions), recorded in the fault
// recording registers (VT-d spec 11.4.14), and never letting the DMA reach
// memory.
#include <gtest/gtest.h>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_registers.h"
#include "iommu/formats/vtd_root_context.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;
using FR = vtd::FaultReason;

struct Outcome {
  DmaResult dma;
  vtd::FaultRecord record;
  std::uint32_t fsts = 0;
  std::uint64_t memory_reads = 0, memory_writes = 0, walk_reads = 0;
};

// Runs one request on a platform that `prepare` may corrupt first.
Outcome run_one(PlatformConfig c, const DmaRequest& req,
                const std::function<void(Platform&)>& prepare = {}) {
  TestBench tb(std::move(c));
  Outcome o;
  tb.run([&] {
    if (prepare) prepare(tb.platform());
    o.dma = tb.probe("nic0").issue(req);
  });
  auto& bus = tb.platform().host_bus();
  const auto cap = vtd::CapRegister::decode(bus.mmio_read(vtd::kRegCap, 8));
  const std::uint64_t frcd = static_cast<std::uint64_t>(cap.fro) * 16;
  o.record = vtd::FaultRecord::decode({bus.mmio_read(frcd, 8), bus.mmio_read(frcd + 8, 8)});
  o.fsts = static_cast<std::uint32_t>(bus.mmio_read(vtd::kRegFsts, 4));
  auto& stats = tb.platform().stats();
  o.memory_reads = stats.counter_value("memory.reads");
  o.memory_writes = stats.counter_value("memory.writes");
  o.walk_reads = stats.counter_value("iommu.walk.memory_reads");
  return o;
}

void expect_fault(const Outcome& o, FR reason, std::uint64_t address, bool read) {
  EXPECT_FALSE(o.dma.ok);
  EXPECT_EQ(o.dma.completion, CompletionStatus::UnsupportedRequest);
  EXPECT_TRUE(o.record.f);
  EXPECT_EQ(o.record.fr, static_cast<std::uint8_t>(reason))
      << "got " << vtd::fault_reason_name(static_cast<FR>(o.record.fr));
  EXPECT_EQ(o.record.fi, address & ~0xfffull);
  EXPECT_EQ(o.record.t, read);  // T=1: read request
  EXPECT_EQ(o.record.sid, (Bdf{1, 0, 0}.rid()));
  EXPECT_TRUE(o.fsts & vtd::kFstsPpf);
  // The DMA never reached memory: every memory read was a table read, and
  // nothing was written.
  EXPECT_EQ(o.memory_reads, o.walk_reads);
  EXPECT_EQ(o.memory_writes, 0u);
}

std::uint64_t context_entry_address(Platform& p, Bdf bdf) {
  auto& bus = p.host_bus();
  const std::uint64_t re = vtd::root_entry_address(p.driver().root_table(), bdf.bus);
  const auto root = vtd::ScalableRootEntry::decode({bus.read64(re), bus.read64(re + 8)});
  return vtd::scalable_context_entry_address(root.lower_context_table, bdf.devfn());
}

// The PASID-table entry of (bdf, pasid), found the way the IOMMU finds it.
std::uint64_t pasid_entry_address(Platform& p, Bdf bdf, std::uint32_t pasid) {
  auto& bus = p.host_bus();
  const std::uint64_t ce = context_entry_address(p, bdf);
  const auto ctx = vtd::ScalableContextEntry::decode(
      {bus.read64(ce), bus.read64(ce + 8), bus.read64(ce + 16), bus.read64(ce + 24)});
  const auto dir = vtd::PasidDirEntry::decode(
      bus.read64(ctx.pasid_dir_ptr + vtd::pasid_dir_index(pasid) * vtd::kPasidDirEntrySize));
  return dir.pasid_table_ptr + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize;
}

// The address of the paging entry of `iova` at `level`, reading the table
// through `to_host` (identity, or the guest-physical to host-physical map).
std::uint64_t entry_at(Platform& p, std::uint64_t root, std::uint64_t iova, unsigned from_level,
                       unsigned level, const std::function<std::uint64_t(std::uint64_t)>& to_host) {
  std::uint64_t table = root;
  for (unsigned l = from_level;; --l) {
    const std::uint64_t at = table + vtd::first_level_index(iova, l) * 8;
    if (l == level) return at;
    table = p.host_bus().read64(to_host(at)) & 0x000ffffffffff000ull;
  }
}

PlatformConfig second_level_config(unsigned levels = 4) {
  PlatformConfig c = default_config_without_workloads();
  c.address_spaces[0].translation = "second_level";
  c.address_spaces[0].levels = levels;
  return c;
}

// The guest of make_nested (4 x 4 levels).
PlatformConfig nested_config() {
  PlatformConfig c = default_config_without_workloads();
  make_nested(c);
  // Read counts below assume every level is read.
  disable_paging_structure_caches(c);
  return c;
}

TEST(Faults, RootEntryNotPresent) {
  // VT-d 0x39: the root entry of the request's bus has P clear for its half.
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t re = vtd::root_entry_address(p.driver().root_table(), 1);
    p.host_bus().write64(re, 0);
  });
  expect_fault(o, FR::kSmRootEntryNotPresent, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 1u);
}

TEST(Faults, ContextEntryNotPresent) {
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t ce = context_entry_address(p, Bdf{1, 0, 0});
    for (unsigned i = 0; i < 4; ++i) p.host_bus().write64(ce + 8 * i, 0);
  });
  expect_fault(o, FR::kSmContextEntryNotPresent, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 2u);
}

TEST(Faults, PasidDirectoryEntryNotPresent) {
  // PASID 64 lives in directory entry 1, which the driver never filled.
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000, .pasid = 64});
  expect_fault(o, FR::kSmPasidDirEntryNotPresent, 0x100000, true);
  EXPECT_EQ(o.record.pv, 64u);
  EXPECT_TRUE(o.record.pp);
  EXPECT_EQ(o.walk_reads, 3u);
}

TEST(Faults, PasidEntryNotPresent) {
  // PASID 2 shares directory entry 0 with PASID 1 but was never attached.
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000, .pasid = 2});
  expect_fault(o, FR::kSmPasidEntryNotPresent, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 4u);
}

TEST(Faults, FirstLevelEntryNotPresent) {
  // 0x300000 is in the second 2 MiB region: its page-directory entry is absent.
  auto o = run_one(default_config_without_workloads(), {.address = 0x300000});
  expect_fault(o, FR::kSmFirstLevelEntryNotPresent, 0x300000, true);
  EXPECT_EQ(o.walk_reads, 7u);  // root, context, dir, PASID entry, PML4E, PDPTE, PDE
}

TEST(Faults, ReservedBitInFirstLevelEntry) {
  // PS is reserved in a PML4E (SDM Vol. 3 4.5): VT-d 0x72.
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t pml4e = p.manager().page_table_root(p.ioas("as0"));
    p.host_bus().write64(pml4e, p.host_bus().read64(pml4e) | 0x80);
  });
  expect_fault(o, FR::kSmFirstLevelEntryReserved, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 5u);
}

TEST(Faults, WriteToReadOnlyPage) {
  PlatformConfig c = default_config_without_workloads();
  c.address_spaces[0].mappings[0].writable = false;
  auto o = run_one(c, {.address = 0x100080, .write = true});
  expect_fault(o, FR::kSmWriteDenied, 0x100080, false);
  EXPECT_EQ(o.walk_reads, 8u);
}

TEST(Faults, UserRequestToSupervisorPageAndSupervisorRequestWithoutSre) {
  // The driver attaches with SRE=0: a privileged request is refused (0x5D).
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000, .privileged = true});
  expect_fault(o, FR::kSmSreClear, 0x100000, true);
}

TEST(Faults, NonCanonicalAddress) {
  auto o = run_one(default_config_without_workloads(), {.address = 0x0000800000000000ull});
  expect_fault(o, FR::kSmNonCanonical, 0x0000800000000000ull, true);
}

TEST(Faults, FaultProcessingDisabledCountsButDoesNotRecord) {
  auto o = run_one(default_config_without_workloads(), {.address = 0x300000}, [](Platform& p) {
    const std::uint64_t ce = context_entry_address(p, Bdf{1, 0, 0});
    auto& bus = p.host_bus();
    std::array<std::uint64_t, 4> raw{};
    for (unsigned i = 0; i < 4; ++i) raw[i] = bus.read64(ce + 8 * i);
    auto ctx = vtd::ScalableContextEntry::decode(raw);
    ctx.fpd = true;
    raw = ctx.encode();
    for (unsigned i = 0; i < 4; ++i) bus.write64(ce + 8 * i, raw[i]);
  });
  EXPECT_FALSE(o.dma.ok);
  EXPECT_FALSE(o.record.f);
  EXPECT_FALSE(o.fsts & vtd::kFstsPpf);
}

TEST(Faults, RecordsFillInOrderAndOverflowSetsPfo) {
  PlatformConfig c = default_config_without_workloads();
  c.iommu.fault_records = 2;
  TestBench tb(c);
  tb.run([&] {
    for (std::uint64_t a : {0x300000ull, 0x500000ull, 0x700000ull}) {
      tb.probe("nic0").issue({.address = a});
    }
  });
  auto& bus = tb.platform().host_bus();
  const auto cap = vtd::CapRegister::decode(bus.mmio_read(vtd::kRegCap, 8));
  EXPECT_EQ(cap.nfr, 1u);
  const std::uint64_t frcd = static_cast<std::uint64_t>(cap.fro) * 16;
  const auto r0 = vtd::FaultRecord::decode({bus.mmio_read(frcd, 8), bus.mmio_read(frcd + 8, 8)});
  const auto r1 =
      vtd::FaultRecord::decode({bus.mmio_read(frcd + 16, 8), bus.mmio_read(frcd + 24, 8)});
  EXPECT_EQ(r0.fi, 0x300000u);
  EXPECT_EQ(r1.fi, 0x500000u);
  const auto fsts = static_cast<std::uint32_t>(bus.mmio_read(vtd::kRegFsts, 4));
  EXPECT_TRUE(fsts & vtd::kFstsPfo);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.faults.overflow"), 1u);
  // The driver drains both records oldest first and clears PFO.
  const auto drained = tb.platform().driver().drain_faults();
  ASSERT_EQ(drained.size(), 2u);
  EXPECT_EQ(drained[0].fi, 0x300000u);
  EXPECT_EQ(drained[1].fi, 0x500000u);
  EXPECT_EQ(drained[1].fr, static_cast<std::uint8_t>(FR::kSmFirstLevelEntryNotPresent));
  const auto after = static_cast<std::uint32_t>(bus.mmio_read(vtd::kRegFsts, 4));
  EXPECT_FALSE(after & (vtd::kFstsPfo | vtd::kFstsPpf));
  EXPECT_TRUE(tb.platform().driver().drain_faults().empty());
}

TEST(Faults, InvalidPgtt) {
  // PGTT 5 is reserved (VT-d spec 9.6): an invalid PASID entry, 0x5B.
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t pe = pasid_entry_address(p, Bdf{1, 0, 0}, 1);
    const std::uint64_t q0 = p.host_bus().read64(pe);
    p.host_bus().write64(pe, (q0 & ~(7ull << 6)) | (5ull << 6));
  });
  expect_fault(o, FR::kSmInvalidPasidEntry, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 4u);
}

TEST(Faults, FiveLevelPagingTheIommuDoesNotOffer) {
  // FLPM=1 with CAP.FL5LP=0 (address width 48) is an invalid PASID entry.
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t pe = pasid_entry_address(p, Bdf{1, 0, 0}, 1);
    p.host_bus().write64(pe + 16, p.host_bus().read64(pe + 16) | (1ull << 2));
  });
  expect_fault(o, FR::kSmInvalidPasidEntry, 0x100000, true);
}

TEST(Faults, NonCanonicalAddressUnderFiveLevelPaging) {
  // 5-level: bits 63:56 must equal bit 56; 2^56 is not canonical, though
  // it would be fine for a 64-bit register.
  PlatformConfig c = default_config_without_workloads();
  c.iommu.address_width = 57;
  c.address_spaces[0].levels = 5;
  auto o = run_one(c, {.address = 1ull << 56});
  expect_fault(o, FR::kSmNonCanonical, 1ull << 56, true);
  EXPECT_EQ(o.walk_reads, 4u);
}

TEST(Faults, SecondLevelEntryNotPresent) {
  // R=W=0 in the SL-PDE of the second 2 MiB region (VT-d spec 9.8).
  auto o = run_one(second_level_config(), {.address = 0x300000});
  expect_fault(o, FR::kSmSecondLevelPermission, 0x300000, true);
  EXPECT_EQ(o.walk_reads, 7u);
}

TEST(Faults, SecondLevelWriteToReadOnlyPage) {
  PlatformConfig c = second_level_config();
  c.address_spaces[0].mappings[0].writable = false;
  auto o = run_one(c, {.address = 0x100080, .write = true});
  expect_fault(o, FR::kSmWriteDenied, 0x100080, false);
  EXPECT_EQ(o.walk_reads, 8u);
}

TEST(Faults, SecondLevelReadOfWriteOnlyPage) {
  // Second-level entries may grant W without R; a read is then denied.
  auto o = run_one(second_level_config(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t root = p.manager().page_table_root(p.ioas("as0"));
    const std::uint64_t pte = entry_at(p, root, 0x100000, 4, 1, [](auto a) { return a; });
    p.host_bus().write64(pte, p.host_bus().read64(pte) & ~1ull);
  });
  expect_fault(o, FR::kSmReadDenied, 0x100000, true);
}

TEST(Faults, SecondLevelReservedBit) {
  // PS is reserved in an SL-PML4E (VT-d spec 9.8).
  auto o = run_one(second_level_config(), {.address = 0x100000}, [](Platform& p) {
    const std::uint64_t root = p.manager().page_table_root(p.ioas("as0"));
    p.host_bus().write64(root, p.host_bus().read64(root) | 0x80);
  });
  expect_fault(o, FR::kSmSecondLevelEntryReserved, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 5u);
}

// Address bits at and above the host address width (iommu.host_address_width,
// 46 by default) are reserved in paging entries (SDM Vol. 3 4.5; VT-d spec
// 9.8): a leaf pointing there faults instead of sending the DMA outside the
// platform.
void point_leaf_at_bit_46(Platform& p) {
  const std::uint64_t root = p.manager().page_table_root(p.ioas("as0"));
  const std::uint64_t pte = entry_at(p, root, 0x100000, 4, 1, [](auto a) { return a; });
  p.host_bus().write64(pte, p.host_bus().read64(pte) | (1ull << 46));
}

TEST(Faults, FirstLevelLeafBeyondTheHostAddressWidth) {
  auto o = run_one(default_config_without_workloads(), {.address = 0x100000}, point_leaf_at_bit_46);
  expect_fault(o, FR::kSmFirstLevelEntryReserved, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 8u);  // root, context, dir, PASID entry, 4 levels
}

TEST(Faults, SecondLevelLeafBeyondTheHostAddressWidth) {
  auto o = run_one(second_level_config(), {.address = 0x100000}, point_leaf_at_bit_46);
  expect_fault(o, FR::kSmSecondLevelEntryReserved, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 8u);
}

TEST(Faults, BitsBelowTheHostAddressWidthAreAnAddress) {
  // With a host address width of 47 bits and memory that fills it, the
  // same leaf is valid: the DMA reads the frame 64 TiB up.
  PlatformConfig c = default_config_without_workloads();
  c.iommu.host_address_width = 47;
  c.memory.address_bits = 47;
  auto o = run_one(c, {.address = 0x100000}, point_leaf_at_bit_46);
  EXPECT_TRUE(o.dma.ok);
  EXPECT_FALSE(o.record.f);
  EXPECT_EQ(o.memory_reads, o.walk_reads + 1);
}

TEST(Faults, ATranslationPastTheEndOfMemoryFailsAtMemory) {
  // Inside the host address width but past the memory (46 bits of 47): the
  // IOMMU translates, and the memory answers with an address error, which
  // the device sees as a failed completion.
  PlatformConfig c = default_config_without_workloads();
  c.iommu.host_address_width = 47;
  auto o = run_one(c, {.address = 0x100000}, point_leaf_at_bit_46);
  EXPECT_FALSE(o.record.f);
  EXPECT_FALSE(o.dma.ok);
  EXPECT_EQ(o.dma.completion, CompletionStatus::UnsupportedRequest);
}

TEST(Faults, AddressBeyondAThreeLevelSecondLevelTable) {
  // A 3-level table translates 39 bits; 2^39 has no translation.
  auto o = run_one(second_level_config(3), {.address = 1ull << 39});
  expect_fault(o, FR::kSmSecondLevelAddressBeyondMax, 1ull << 39, true);
  EXPECT_EQ(o.walk_reads, 4u);
}

TEST(Faults, NestedFirstLevelTableOutsideGuestMemory) {
  // The guest's PML4E points at GPA 128 MiB, which the second level does
  // not map: the walker may not read the next table (0x76).
  auto o = run_one(nested_config(), {.address = 0x100000}, [](Platform& p) {
    auto& m = p.manager();
    const auto to_host = [&](std::uint64_t gpa) { return *m.physical(p.ioas("gpa"), gpa); };
    const std::uint64_t pml4e = to_host(m.page_table_root(p.ioas("guest")));
    p.host_bus().write64(pml4e, (p.host_bus().read64(pml4e) & 0xfff) | (128ull << 20));
  });
  expect_fault(o, FR::kSmNestedFirstLevelReadDenied, 0x100000, true);
  // Context (4), PML4E's GPA (4 SL) + PML4E, then the SL walk of 128 MiB
  // stops at its absent SL-PDE (3).
  EXPECT_EQ(o.walk_reads, 4u + 5u + 3u);
}

TEST(Faults, NestedOutputOutsideGuestMemory) {
  // The guest's PTE names GPA 128 MiB: the second level refuses the access.
  auto o = run_one(nested_config(), {.address = 0x100000}, [](Platform& p) {
    auto& m = p.manager();
    const auto to_host = [&](std::uint64_t gpa) { return *m.physical(p.ioas("gpa"), gpa); };
    const std::uint64_t pte =
        to_host(entry_at(p, m.page_table_root(p.ioas("guest")), 0x100000, 4, 1, to_host));
    p.host_bus().write64(pte, (p.host_bus().read64(pte) & 0xfff) | (128ull << 20));
  });
  expect_fault(o, FR::kSmSecondLevelPermission, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 4u + 4u * 5u + 3u);
}

class NotPresentAtLevel : public ::testing::TestWithParam<unsigned> {};

TEST_P(NotPresentAtLevel, FirstLevelFaultsWhereTheWalkStops) {
  // Clearing P in the entry at `level` stops the walk there: 0x71 after
  // the context reads and the entries from the PML4E down to that one.
  const unsigned level = GetParam();
  PlatformConfig c = default_config_without_workloads();
  disable_paging_structure_caches(c);
  auto o = run_one(c, {.address = 0x100000}, [level](Platform& p) {
    const std::uint64_t root = p.manager().page_table_root(p.ioas("as0"));
    const std::uint64_t at = entry_at(p, root, 0x100000, 4, level, [](auto a) { return a; });
    p.host_bus().write64(at, p.host_bus().read64(at) & ~1ull);
  });
  expect_fault(o, FR::kSmFirstLevelEntryNotPresent, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 4u + (5u - level));
}

TEST_P(NotPresentAtLevel, SecondLevelFaultsWhereTheWalkStops) {
  const unsigned level = GetParam();
  PlatformConfig c = second_level_config();
  disable_paging_structure_caches(c);
  auto o = run_one(c, {.address = 0x100000}, [level](Platform& p) {
    const std::uint64_t root = p.manager().page_table_root(p.ioas("as0"));
    const std::uint64_t at = entry_at(p, root, 0x100000, 4, level, [](auto a) { return a; });
    p.host_bus().write64(at, p.host_bus().read64(at) & ~3ull);  // R=W=0
  });
  expect_fault(o, FR::kSmSecondLevelPermission, 0x100000, true);
  EXPECT_EQ(o.walk_reads, 4u + (5u - level));
}

INSTANTIATE_TEST_SUITE_P(Levels, NotPresentAtLevel, ::testing::Values(4u, 3u, 2u, 1u));

}  // namespace
}  // namespace iommu_sim::test

namespace iommu_sim::test {
namespace {

// A table pointer inside the IOMMU's host address width but past the memory
// that exists (memory.address_bits 40 here, iommu.host_address_width 46) makes the read of the
// next structure fail: an access-error fault of that structure (VT-d
// 7.1.3: 0x38, 0x40, 0x50, 0x58, 0x70, 0x78), never a translation.
constexpr std::uint64_t kBeyondMemory = 1ull << 42;

PlatformConfig small_memory(PlatformConfig c) {
  c.memory.address_bits = 40;
  return c;
}

std::uint64_t repointed(Platform& p, std::uint64_t at) {
  return (p.host_bus().read64(at) & 0xfff) | kBeyondMemory;
}

void expect_access_error(const Outcome& o, FR reason) {
  EXPECT_FALSE(o.dma.ok);
  EXPECT_EQ(o.dma.completion, CompletionStatus::UnsupportedRequest);
  EXPECT_EQ(o.record.fr, static_cast<std::uint8_t>(reason))
      << "got " << vtd::fault_reason_name(static_cast<FR>(o.record.fr));
  EXPECT_TRUE(o.fsts & vtd::kFstsPpf);
  EXPECT_EQ(o.memory_writes, 0u);
}

TEST(Faults, TablePointersBeyondMemoryAreAccessErrors) {
  const PlatformConfig c = small_memory(default_config_without_workloads());
  expect_access_error(run_one(c, {.address = 0x100000},
                              [](Platform& p) {
                                const std::uint64_t re =
                                    vtd::root_entry_address(p.driver().root_table(), 1);
                                p.host_bus().write64(re, repointed(p, re));
                              }),
                      FR::kSmContextEntryAccess);
  expect_access_error(run_one(c, {.address = 0x100000},
                              [](Platform& p) {
                                const std::uint64_t ce = context_entry_address(p, Bdf{1, 0, 0});
                                p.host_bus().write64(ce, repointed(p, ce));
                              }),
                      FR::kSmPasidDirAccess);
  expect_access_error(run_one(c, {.address = 0x100000},
                              [](Platform& p) {
                                auto& bus = p.host_bus();
                                const std::uint64_t ce = context_entry_address(p, Bdf{1, 0, 0});
                                const std::uint64_t dir = bus.read64(ce) & ~0xfffull;
                                bus.write64(dir, repointed(p, dir));
                              }),
                      FR::kSmPasidEntryAccess);
  expect_access_error(run_one(c, {.address = 0x100000},
                              [](Platform& p) {
                                const std::uint64_t root =
                                    p.manager().page_table_root(p.ioas("as0"));
                                p.host_bus().write64(root, repointed(p, root));
                              }),
                      FR::kSmFirstLevelEntryAccess);
  expect_access_error(run_one(small_memory(second_level_config()), {.address = 0x100000},
                              [](Platform& p) {
                                const std::uint64_t root =
                                    p.manager().page_table_root(p.ioas("as0"));
                                p.host_bus().write64(root, repointed(p, root));
                              }),
                      FR::kSmSecondLevelEntryAccess);
}

}  // namespace
}  // namespace iommu_sim::test
