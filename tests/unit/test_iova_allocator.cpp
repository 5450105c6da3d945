// The IOVA allocator as Linux's iova.c behaves: top-down, size-aligned
// allocation below 4 GiB first, the interrupt window never handed out,
// freed ranges kept in the freeing CPU's magazines (last in, first out),
// full magazines moved through the depot, and every cached range given
// back to the tree when the space runs out. Outside a SystemC process
// nothing waits, so these run without a simulation.
#include <gtest/gtest.h>

#include "model/host/iova_allocator.h"

namespace iommu_sim {
namespace {

struct Allocator {
  explicit Allocator(unsigned cpus = 2, unsigned bits = 48)
      : cpu_set(cpus, registry), iova(cpus, bits, costs, stats) {}
  StatsRegistry registry;
  HostCpuParams costs;
  IovaStats stats;
  HostCpus cpu_set;
  IovaAllocator iova;
  HostCpu& cpu(unsigned i) { return cpu_set.cpu(i); }
};

TEST(IovaAllocator, HandsOutPagesTopDownBelowFourGib) {
  Allocator a;
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 1), 0xFFFFF000u);
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 1), 0xFFFFE000u);
  EXPECT_EQ(a.stats.tree_allocs, 2u);
  EXPECT_EQ(a.stats.rcache_hits, 0u);
}

TEST(IovaAllocator, RoundsSmallSizesToAPowerOfTwoAndAlignsThem) {
  Allocator a;
  ASSERT_EQ(a.iova.allocate(a.cpu(0), 1), 0xFFFFF000u);
  // Three pages are four, aligned to 16 KiB: the highest such gap below
  // the first allocation.
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 3), 0xFFFF8000u);
}

TEST(IovaAllocator, NeverHandsOutTheInterruptWindow) {
  Allocator a;
  // 16 MiB, aligned to 16 MiB, takes the top; 1 MiB fits between it and
  // the window 0xFEE00000-0xFEEFFFFF; the next 1 MiB would overlap the
  // window, so it goes below it.
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 0x1000), 0xFF000000u);
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 0x100), 0xFEF00000u);
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 0x100), 0xFED00000u);
}

TEST(IovaAllocator, AFreedRangeIsReusedFromTheSameCpusMagazineLastInFirstOut) {
  Allocator a;
  const std::uint64_t x = a.iova.allocate(a.cpu(0), 1);
  const std::uint64_t y = a.iova.allocate(a.cpu(0), 1);
  a.iova.free(a.cpu(0), x, 1);
  a.iova.free(a.cpu(0), y, 1);
  EXPECT_EQ(a.stats.rcache_frees, 2u);
  EXPECT_EQ(a.stats.tree_frees, 0u);  // cached ranges stay allocated in the tree
  EXPECT_EQ(a.iova.tree_size(), 3u);  // two ranges and the interrupt window
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 1), y);
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 1), x);
  EXPECT_EQ(a.stats.rcache_hits, 2u);
}

TEST(IovaAllocator, AnotherCpuGetsAFullMagazineOnlyThroughTheDepot) {
  Allocator a;
  std::vector<std::uint64_t> got;
  // 2 x 127 + 1 frees on CPU 0: the first magazine fills and becomes
  // prev, the second fills as loaded, and the last free pushes it to the
  // depot and starts a third.
  for (unsigned i = 0; i < 2 * IovaAllocator::kMagazineSize + 1; ++i) {
    got.push_back(a.iova.allocate(a.cpu(0), 1));
  }
  for (const std::uint64_t iova : got) a.iova.free(a.cpu(0), iova, 1);
  EXPECT_EQ(a.stats.depot_pushes, 1u);
  // CPU 1 has empty magazines: it takes the depot's, the second, whose
  // last range is the last one CPU 0 put in it.
  const std::uint64_t hits = a.stats.rcache_hits;
  const std::uint64_t from_depot = a.iova.allocate(a.cpu(1), 1);
  EXPECT_EQ(a.stats.depot_pops, 1u);
  EXPECT_EQ(a.stats.rcache_hits, hits + 1);
  EXPECT_EQ(from_depot, got[2 * IovaAllocator::kMagazineSize - 1]);
}

TEST(IovaAllocator, AnExhaustedSpaceGivesCachedRangesBackAndTriesAgain) {
  // A 3-page space (address_bits 14): page frames 1 to 3, no 4 GiB limit
  // below it.
  Allocator a(2, 14);
  const std::uint64_t p = a.iova.allocate(a.cpu(0), 1);
  const std::uint64_t q = a.iova.allocate(a.cpu(0), 1);
  const std::uint64_t r = a.iova.allocate(a.cpu(0), 1);
  EXPECT_EQ(p, 0x3000u);
  EXPECT_EQ(q, 0x2000u);
  EXPECT_EQ(r, 0x1000u);
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 1), 0u);
  EXPECT_EQ(a.stats.failures, 1u);
  // CPU 1 freed one into its magazine; CPU 0's allocation misses its own
  // (empty) magazines and the depot, finds the tree full, flushes every
  // cache back into the tree and gets it.
  a.iova.free(a.cpu(1), q, 1);
  EXPECT_EQ(a.iova.allocate(a.cpu(0), 1), q);
  EXPECT_EQ(a.stats.tree_frees, 1u);
  EXPECT_EQ(a.stats.failures, 1u);
}

}  // namespace
}  // namespace iommu_sim
