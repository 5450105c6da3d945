// The estimate a run is checked against before it starts: the page-table
// leaves the set-up writes (PageTable::map_range's largest-page rule), the
// caches' host memory, the DMAs, and the field each is named by.
#include <gtest/gtest.h>

#include "apps/resource_check.h"
#include "model/platform/resource_estimate.h"

namespace iommu_sim {
namespace {

TEST(ResourceEstimate, LeavesFollowTheLargestPageRule) {
  // 0x100000 + 64 MiB with 2 MiB pages: 1 MiB of 4 KiB pages up to the first
  // 2 MiB boundary (256), 31 pages of 2 MiB, 1 MiB of 4 KiB pages after.
  EXPECT_EQ(leaf_entries(0x100000, 64ull << 20, 2ull << 20), 256 + 31 + 256);
  EXPECT_EQ(leaf_entries(0x100000, 64ull << 20, 4096), 16384);
  // No 1 GiB boundary pair inside: the same with 1 GiB pages allowed.
  EXPECT_EQ(leaf_entries(0x100000, 64ull << 20, 1ull << 30), 543);
  // 3 GiB from 1 GiB: three 1 GiB leaves.
  EXPECT_EQ(leaf_entries(1ull << 30, 3ull << 30, 1ull << 30), 3);
  // 2 MiB - 4 KiB to 1 GiB + 8 KiB: one 4 KiB page, 511 of 2 MiB, two 4 KiB.
  EXPECT_EQ(
      leaf_entries((2ull << 20) - 4096, (1ull << 30) - (2ull << 20) + 4096 + 8192, 1ull << 30),
      1 + 511 + 2);
}

TEST(ResourceEstimate, NamesTheFieldThatTakesMostMemory) {
  PlatformConfig c;
  c.address_spaces[0].mappings[0] = {.iova = 1ull << 32, .size = 64ull << 30, .writable = true};
  const ResourceEstimate e = estimate_resources(c);
  EXPECT_EQ(e.largest_memory, "address_spaces[0].mappings[0].size");
  EXPECT_DOUBLE_EQ(e.largest_memory_bytes, kBytesPerLeaf * 16777216);
  // The default caches: IOTLB 64, context 16, PASID 32, each PSC's levels.
  double entries = 0;
  for (const auto& [name, cache] : c.iommu.caches()) entries += cache->sets * cache->ways;
  EXPECT_DOUBLE_EQ(e.host_bytes, kBytesPerLeaf * 16777216 + kBytesPerCacheEntry * entries);
  const auto refusal = memory_refusal(e, 1e8);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(*refusal,
            "address_spaces[0].mappings[0].size: the set-up needs about 0.2 GB of host memory "
            "(0.2 GB for this field alone), more than this machine's 0.1 GB");
  EXPECT_FALSE(memory_refusal(e, 24e9).has_value());
}

TEST(ResourceEstimate, DeviceTlbsCountPerFunction) {
  PlatformConfig c;
  auto& ep = c.pcie.endpoints[0];
  ep.functions = 8;
  ep.ats.enabled = true;
  ep.ats.atc.sets = 1;
  ep.ats.atc.ways = 16384;
  const ResourceEstimate e = estimate_resources(c);
  EXPECT_EQ(e.largest_memory, "pcie.endpoints[0].ats.atc");
  EXPECT_DOUBLE_EQ(e.largest_memory_bytes, kBytesPerCacheEntry * 16384 * 8);
}

TEST(ResourceEstimate, LongRunsAreWarnedOfWithTheField) {
  PlatformConfig c;
  c.workloads[0].count = 1000000000000ull;
  const ResourceEstimate e = estimate_resources(c);
  EXPECT_DOUBLE_EQ(e.dmas, 1e12);
  const auto warning = duration_warning(e);
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(*warning,
            "workloads[0].count: the run issues about 1e+12 DMAs, 59.1 to 270 hours of wall time "
            "at timed mode's measured 1.03 to 4.7 M DMAs per second; it goes on (Ctrl-C stops it "
            "and writes "
            "stats.json)");
  c.workloads[0].count = 1000000000;
  EXPECT_FALSE(duration_warning(estimate_resources(c)).has_value());
  // Counts near 10^18 times queues do not wrap the progress line's total.
  c.workloads[0].count = 1000000000000000000ull;
  c.workloads.push_back(c.workloads[0]);
  c.workloads.push_back(c.workloads[0]);
  c.workloads.push_back(c.workloads[0]);
  EXPECT_EQ(expected_work(c), std::uint64_t{4000000000000000000});
  for (int i = 0; i < 16; ++i) c.workloads.push_back(c.workloads[0]);
  EXPECT_EQ(expected_work(c), std::uint64_t{1} << 63);
}

}  // namespace
}  // namespace iommu_sim
