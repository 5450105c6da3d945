// IOTLB organisation: set indexing, LRU replacement within a set, and tags
// that include domain ID, PASID, page number and page size.
#include <gtest/gtest.h>

#include "iommu/iotlb.h"

namespace iommu_sim {
namespace {

IotlbEntry page(std::uint64_t pa, std::uint8_t shift = 12) {
  IotlbEntry e;
  e.output_page = pa;
  e.page_shift = shift;
  e.writable = true;
  e.user = true;
  return e;
}

struct IotlbTest : ::testing::Test {
  StatsRegistry stats;
  CacheParams params{true, 2, 2};  // 2 sets x 2 ways
  Iotlb tlb{params, stats, "tlb"};
};

TEST_F(IotlbTest, LruEvictsTheLeastRecentlyUsedWayOfTheSet) {
  // With DID 0 and PASID 0, page n goes to set n % 2: pages 0, 2, 4 share set 0.
  tlb.insert(0, 0, 0x0000, page(0xa000));
  tlb.insert(0, 0, 0x2000, page(0xb000));
  ASSERT_NE(tlb.lookup(0, 0, 0x0000), nullptr);  // page 0 is now most recent
  tlb.insert(0, 0, 0x4000, page(0xc000));        // evicts page 2
  EXPECT_NE(tlb.lookup(0, 0, 0x0000), nullptr);
  EXPECT_EQ(tlb.lookup(0, 0, 0x2000), nullptr);
  EXPECT_NE(tlb.lookup(0, 0, 0x4000), nullptr);
  EXPECT_EQ(tlb.evictions(), 1u);
  // Set 1 was untouched by all of this.
  tlb.insert(0, 0, 0x1000, page(0xd000));
  EXPECT_EQ(tlb.evictions(), 1u);
  EXPECT_EQ(tlb.occupancy(), 3u);
}

TEST_F(IotlbTest, DifferentPasidOrDomainNeverHits) {
  tlb.insert(5, 1, 0x7000, page(0xa000));
  EXPECT_EQ(tlb.lookup(5, 2, 0x7000), nullptr);
  EXPECT_EQ(tlb.lookup(6, 1, 0x7000), nullptr);
  const IotlbEntry* e = tlb.lookup(5, 1, 0x7abc);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->output_page, 0xa000u);
  EXPECT_EQ(tlb.hits(), 1u);
  EXPECT_EQ(tlb.misses(), 2u);
}

TEST_F(IotlbTest, LargePageIsOneEntryCoveringItsWholeRange) {
  tlb.insert(1, 1, 0x40000000, page(0x80000000, 21));
  const IotlbEntry* e = tlb.lookup(1, 1, 0x401fffff);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->page_shift, 21);
  EXPECT_EQ(tlb.lookup(1, 1, 0x40200000), nullptr);
  EXPECT_EQ(tlb.occupancy(), 1u);
}

TEST_F(IotlbTest, PageSelectiveInvalidationRemovesExactlyTheMaskedRange) {
  CacheParams big{true, 16, 4};
  StatsRegistry s;
  Iotlb t(big, s, "t");
  for (std::uint64_t p = 0; p < 8; ++p) t.insert(1, 1, p << 12, page(0x100000 + (p << 12)));
  t.insert(1, 2, 0x2000, page(0x900000));  // other PASID, same page
  t.insert(2, 1, 0x2000, page(0x910000));  // other domain, same page
  // AM=1: the 8 KiB region 0x2000-0x3fff of (DID 1, PASID 1).
  EXPECT_EQ(t.invalidate_range(1, 1u, 0x2000, 1), 2u);
  for (std::uint64_t p = 0; p < 8; ++p) {
    EXPECT_EQ(t.lookup(1, 1, p << 12) == nullptr, p == 2 || p == 3) << "page " << p;
  }
  EXPECT_NE(t.lookup(1, 2, 0x2000), nullptr);
  EXPECT_NE(t.lookup(2, 1, 0x2000), nullptr);
  EXPECT_EQ(t.invalidate_pasid(1, 1), 6u);
  EXPECT_EQ(t.invalidate_domain(2), 1u);
  EXPECT_EQ(t.occupancy(), 1u);
  EXPECT_EQ(s.counter_value("t.invalidations"), 9u);
}

TEST_F(IotlbTest, DisabledCacheNeverHits) {
  StatsRegistry s;
  Iotlb t(CacheParams{false, 2, 2}, s, "off");
  t.insert(0, 0, 0, page(0x1000));
  EXPECT_EQ(t.lookup(0, 0, 0), nullptr);
  EXPECT_EQ(t.occupancy(), 0u);
}

}  // namespace
}  // namespace iommu_sim
