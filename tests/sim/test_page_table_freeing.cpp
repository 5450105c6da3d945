// Unmap frees the page-table pages a range covers entirely (Linux's
// dma_pte_clear_level / freelist), and the manager reuses them only after
// the invalidation that drops them from the paging-structure caches.
#include <gtest/gtest.h>

#include "model/host/page_table.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

TEST(PageTableFreeing, OnlyTablesTheRangeCoversEntirelyAreFreed) {
  TestBench tb(default_config_without_workloads());
  std::vector<std::uint64_t> freed;
  std::optional<PageMapping> kept, gone;
  std::uint64_t reused = 0, pt_of_range = 0;
  tb.run([&] {
    FrameAllocator frames(0x300000000ull);
    PageTable t(tb.platform().host_bus(), frames, PageTableFormat::FirstLevel, 4);
    for (std::uint64_t iova = 0x200000; iova < 0x400000; iova += 0x1000) {
      t.map(iova, 0x500000000ull + iova, 12, true);
    }
    t.map(0x400000, 0x500400000ull, 12, true);  // next PT page, same PD
    // Root, PDPT, PD, then the PT of 0x200000-0x3fffff.
    pt_of_range = 0x300000000ull + 3 * 0x1000;
    t.unmap_range(0x200000, 0x400000, freed);
    kept = t.lookup(0x400000);
    gone = t.lookup(0x200000);
    frames.release(freed.front());
    reused = frames.allocate(4096);
  });
  ASSERT_EQ(freed.size(), 1u);
  EXPECT_EQ(freed.front(), pt_of_range);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->physical, 0x500400000ull);
  EXPECT_FALSE(gone.has_value());
  EXPECT_EQ(reused, pt_of_range);
}

TEST(PageTableFreeing, AFreedTableIsNotReachableThroughTheCachesAfterUnmap) {
  PlatformConfig c = default_config_without_workloads();
  c.attach.clear();
  TestBench tb(c);
  auto& m = tb.platform().manager();
  DmaResult before, after;
  std::uint64_t psc_invalidations = 0;
  tb.run([&] {
    const IoasId a = m.create_ioas().id;
    const IoasId b = m.create_ioas().id;
    ASSERT_TRUE(m.map(a, 0x200000, 0x200000, true).ok());
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, a).ok());
    before = tb.probe("nic0").issue({.address = 0x200000});
    const auto& s = tb.platform().stats();
    const auto inv = s.counter_value("iommu.fl_psc.pd.invalidations");
    ASSERT_TRUE(m.unmap(a, 0x200000, 0x200000).ok());
    psc_invalidations = s.counter_value("iommu.fl_psc.pd.invalidations") - inv;
    // b's new tables take the freed frame.
    ASSERT_TRUE(m.map(b, 0x200000, 0x200000, true).ok());
    after = tb.probe("nic0").issue({.address = 0x200000, .write = true});
  });
  EXPECT_TRUE(before.ok);
  EXPECT_EQ(psc_invalidations, 1u);  // IH=0: the PDE pointing at the freed page is dropped
  EXPECT_FALSE(after.ok);
  EXPECT_EQ(tb.platform().oracle().violations(), 0u);
}

}  // namespace
}  // namespace iommu_sim::test
