// Paging-structure caches (VT-d spec 6.2.4): a walk resumes below the
// lowest level it hits, so a miss near a recent one reads fewer entries;
// invalidation descriptors remove exactly the entries the specification
// says (6.5.2.3, 6.5.2.4), and the invalidation hint keeps them.
#include <gtest/gtest.h>

#include "iommu/formats/vtd_invalidation.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;

PlatformConfig psc_config() {
  PlatformConfig c = timing_config_without_workloads();
  c.iommu.psc_lookup_latency_ns = 1;
  // Mappings in three 2 MiB regions: two in the same 1 GiB region, one in
  // another 1 GiB region of the same 512 GiB region.
  c.address_spaces[0].mappings = {{.iova = 0x100000, .size = 1ull << 20},
                                  {.iova = 0x400000, .size = 1ull << 20},
                                  {.iova = 0x40100000, .size = 1ull << 20}};
  return c;
}

// A miss with warm context and PASID caches reading `n` paging entries.
sc_time miss(unsigned n) {
  return sc_time(3, SC_NS) + sc_time(1, SC_NS) + n * read_time(8);
}

struct Sequence {
  std::vector<std::uint64_t> walk_reads;  // per DMA after the first
  std::vector<std::uint64_t> translation_ps;
};

// Issues DMAs one after another, recording each one's table reads; between
// them `between(i)` may post descriptors.
Sequence run_sequence(TestBench& tb, const std::vector<std::uint64_t>& addresses,
                      const std::function<void(std::size_t)>& between = {}) {
  Sequence out;
  auto& p = tb.platform();
  tb.run([&] {
    std::uint64_t reads = 0;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (between) between(i);
      const std::uint64_t before_ps = p.iommu().translation_latency().sum();
      const DmaResult r = tb.probe("nic0").issue({.address = addresses[i]});
      EXPECT_TRUE(r.ok) << addresses[i];
      const std::uint64_t now = p.stats().counter_value("iommu.walk.memory_reads");
      out.walk_reads.push_back(now - reads);
      out.translation_ps.push_back(p.iommu().translation_latency().sum() - before_ps);
      reads = now;
    }
  });
  return out;
}

TEST(PagingStructureCaches, AMissResumesBelowTheLowestLevelItHits) {
  TestBench tb(psc_config());
  const Sequence r = run_sequence(tb, {0x100000,      // cold: 4 context + 4 paging reads
                                       0x101000,      // same 2 MiB: PDE cached, reads the PTE
                                       0x400000,      // same 1 GiB: PDPTE cached, PDE + PTE
                                       0x40100000});  // same 512 GiB: PML4E cached, 3 reads
  EXPECT_EQ(r.walk_reads, (std::vector<std::uint64_t>{8, 1, 2, 3}));
  EXPECT_EQ(r.translation_ps[1], miss(1).value());
  EXPECT_EQ(r.translation_ps[2], miss(2).value());
  EXPECT_EQ(r.translation_ps[3], miss(3).value());
  auto& s = tb.platform().stats();
  EXPECT_EQ(s.counter_value("iommu.fl_psc.pd.hits"), 1u);
  EXPECT_EQ(s.counter_value("iommu.fl_psc.pdpt.hits"), 1u);
  EXPECT_EQ(s.counter_value("iommu.fl_psc.pml4.hits"), 1u);
  // 5-level caches are never probed by a 4-level walk.
  EXPECT_EQ(s.counter_value("iommu.fl_psc.pml5.lookups"), 0u);
  EXPECT_EQ(s.counter_value("iommu.sl_psc.pd.lookups"), 0u);
}

TEST(PagingStructureCaches, NestedWalkReusesSecondLevelEntriesWithinOneWalk) {
  // All of the guest's tables and pages lie in its first 2 MiB of memory:
  // the first second-level walk (of the guest's PML4 pointer) reads four
  // entries and fills the second-level caches; the other four second-level
  // walks hit the SL-PDE cache and read one entry each. 4 + 4 + 4 x 1 = 12
  // paging reads instead of 24, and one first-level plus five second-level
  // cache probes.
  PlatformConfig c = psc_config();
  make_nested(c);
  TestBench tb(c);
  const Sequence r = run_sequence(tb, {0x100000});
  EXPECT_EQ(r.walk_reads[0], 4u + 12u);
  const sc_time context = read_time(16) + read_time(32) + read_time(8) + read_time(64);
  EXPECT_EQ(r.translation_ps[0],
            (sc_time(3, SC_NS) + context + sc_time(6, SC_NS) + 12 * read_time(8)).value());
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.sl_psc.pd.hits"), 4u);
}

// Posts one descriptor between a warm-up DMA to 0x100000 and a DMA to
// 0x100000 again, and returns the second DMA's paging-entry reads.
std::uint64_t reads_after(const std::array<std::uint64_t, 2>& descriptor) {
  TestBench tb(psc_config());
  auto& p = tb.platform();
  const Sequence r = run_sequence(tb, {0x100000, 0x100000}, [&](std::size_t i) {
    if (i != 1) return;
    const std::array<std::array<std::uint64_t, 2>, 1> descs{descriptor};
    ASSERT_TRUE(p.driver().submit_and_wait(descs).ok());
  });
  return r.walk_reads[1];
}

constexpr std::uint16_t kDid = 1;  // the manager's first domain ID

vtd::PasidIotlbInvDesc pasid_page(bool ih, std::uint32_t pasid = 1) {
  vtd::PasidIotlbInvDesc d{};
  d.granularity = vtd::PasidIotlbGranularity::Page;
  d.did = kDid;
  d.pasid = pasid;
  d.addr = 0x100000;
  d.ih = ih;
  return d;
}

TEST(PagingStructureCaches, InvalidationHintKeepsThemPageSelectiveWithoutItDropsTheRange) {
  // IH=1: the leaf went, the PDE cache entry stays: one read.
  EXPECT_EQ(reads_after(pasid_page(true).encode()), 1u);
  // IH=0: every cached level covering 0x100000 goes: the full walk.
  EXPECT_EQ(reads_after(pasid_page(false).encode()), 4u);
}

TEST(PagingStructureCaches, DescriptorsForOtherPasidsOrDomainsLeaveThemAlone) {
  // PASID 2's page invalidation removes nothing of PASID 1: the IOTLB
  // still hits (zero reads).
  EXPECT_EQ(reads_after(pasid_page(false, 2).encode()), 0u);
  vtd::IotlbInvDesc other{};
  other.granularity = vtd::IotlbGranularity::Domain;
  other.did = kDid + 1;
  EXPECT_EQ(reads_after(other.encode()), 0u);
}

TEST(PagingStructureCaches, PasidAndDomainSelectiveDescriptorsDropAllOfThem) {
  vtd::PasidIotlbInvDesc pasid{};
  pasid.granularity = vtd::PasidIotlbGranularity::Pasid;
  pasid.did = kDid;
  pasid.pasid = 1;
  EXPECT_EQ(reads_after(pasid.encode()), 4u);
  vtd::IotlbInvDesc domain{};
  domain.granularity = vtd::IotlbGranularity::Domain;
  domain.did = kDid;
  EXPECT_EQ(reads_after(domain.encode()), 4u);
  vtd::IotlbInvDesc global{};
  global.granularity = vtd::IotlbGranularity::Global;
  EXPECT_EQ(reads_after(global.encode()), 4u);
}

TEST(PagingStructureCaches, SecondLevelPageInvalidationDropsOnlyCoveringEntries) {
  // Second-level IOAS: an IOTLB page invalidation of 0x400000 (another
  // 2 MiB region) drops the SL-PML4E and SL-PDPTE entries that cover it
  // but not the SL-PDE of 0x100000: the next walk of 0x100000 after its
  // own leaf is invalidated with IH=1 still reads one entry.
  PlatformConfig c = psc_config();
  c.address_spaces[0].translation = "second_level";
  TestBench tb(c);
  auto& p = tb.platform();
  const Sequence r = run_sequence(tb, {0x100000, 0x100000}, [&](std::size_t i) {
    if (i != 1) return;
    vtd::IotlbInvDesc far{};
    far.granularity = vtd::IotlbGranularity::Page;
    far.did = kDid;
    far.addr = 0x400000;
    vtd::IotlbInvDesc leaf{};
    leaf.granularity = vtd::IotlbGranularity::Page;
    leaf.did = kDid;
    leaf.addr = 0x100000;
    leaf.ih = true;
    const std::array<std::array<std::uint64_t, 2>, 2> descs{far.encode(), leaf.encode()};
    ASSERT_TRUE(p.driver().submit_and_wait(descs).ok());
  });
  EXPECT_EQ(r.walk_reads[1], 1u);
  EXPECT_EQ(p.stats().counter_value("iommu.sl_psc.pd.invalidations"), 0u);
  EXPECT_EQ(p.stats().counter_value("iommu.sl_psc.pdpt.invalidations"), 1u);
  EXPECT_EQ(p.stats().counter_value("iommu.sl_psc.pml4.invalidations"), 1u);
}

}  // namespace
}  // namespace iommu_sim::test
