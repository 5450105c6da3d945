// Strict and lazy unmap (Linux's iommu.strict and its flush queue): strict
// returns only once no stale translation is usable; lazy batches the
// invalidations, so it waits less, leaves a window in which a cached
// translation still works, and never hands the IOVA out before the flush.
#include <gtest/gtest.h>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

struct UnmapRun {
  std::uint64_t waits = 0;            // invalidation waits the unmaps cost
  std::vector<bool> dma_after_unmap;  // a DMA right after each unmap succeeded
  std::vector<bool> dma_at_end;       // a DMA to each once all unmaps returned
  std::vector<std::uint64_t> reused;  // map_anywhere results while pending
  Status remap_pending;
};

// Eight 4 KiB mappings at 0x1000.., each read once (cached), then unmapped
// one by one with a DMA to it right after.
UnmapRun run_unmaps(const std::string& mode, std::uint32_t queue = 4) {
  PlatformConfig c = default_config_without_workloads();
  c.host.unmap = mode;
  c.host.flush_queue_size = queue;
  c.address_spaces[0].mappings.clear();
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  UnmapRun out;
  tb.run([&] {
    const IoasId as0 = p.ioas("as0");
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(m.map(as0, 0x1000 * (i + 1), 0x1000, true).ok());
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(tb.probe("nic0").issue({.address = 0x1000u * (i + 1)}).ok);
    }
    const std::uint64_t before = p.driver().waits_completed();
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(m.unmap(as0, 0x1000 * (i + 1), 0x1000).ok());
      out.dma_after_unmap.push_back(tb.probe("nic0").issue({.address = 0x1000u * (i + 1)}).ok);
      if (i == 0) {
        out.remap_pending = m.map(as0, 0x1000, 0x1000, true);
        const auto fresh = m.map_anywhere(as0, 0x1000, true);
        out.reused.push_back(fresh.iova);
        ASSERT_TRUE(m.unmap(as0, fresh.iova, 0x1000).ok());
      }
    }
    out.waits = p.driver().waits_completed() - before;
    for (int i = 0; i < 8; ++i) {
      out.dma_at_end.push_back(tb.probe("nic0").issue({.address = 0x1000u * (i + 1)}).ok);
    }
  });
  return out;
}

TEST(UnmapModes, StrictLeavesNoStaleTranslationUsableAfterUnmapReturns) {
  const UnmapRun r = run_unmaps("strict");
  // One invalidation wait per unmap (8 plus the probe mapping's).
  EXPECT_EQ(r.waits, 9u);
  for (bool ok : r.dma_after_unmap) EXPECT_FALSE(ok);
  // Nothing is pending in strict mode: 0x1000 could be mapped again at
  // once, so only that page still translates at the end.
  EXPECT_TRUE(r.remap_pending.ok());
  const std::vector<bool> at_end{true, false, false, false, false, false, false, false};
  EXPECT_EQ(r.dma_at_end, at_end);
}

TEST(UnmapModes, LazyWaitsLessButAStaleTranslationWorksUntilTheFlush) {
  const UnmapRun r = run_unmaps("lazy", 4);
  // 9 unmaps, all on CPU 0, into a ring of 4 slots that holds 3 (Linux
  // keeps one empty): the 4th and the 7th find it full and flush before
  // queuing; the 7th, 8th and 9th wait past the end of the run. 2
  // domain-wide waits.
  EXPECT_EQ(r.waits, 2u);
  // The first two unmapped pages are still cached: their DMAs go through.
  // The third page's unmap finds the ring full (the first page's, the
  // probe mapping's and the second page's) and returns after the
  // domain-wide flush, which also took the cached translations of the
  // pages unmapped later: those DMAs walk and fault.
  const std::vector<bool> after{true, true, false, false, false, false, false, false};
  EXPECT_EQ(r.dma_after_unmap, after);
  for (bool ok : r.dma_at_end) EXPECT_FALSE(ok);
  // While 0x1000 awaits its flush it is neither mappable nor handed out.
  EXPECT_EQ(r.remap_pending.code, EBUSY);
  ASSERT_EQ(r.reused.size(), 1u);
  EXPECT_NE(r.reused[0], 0x1000u);
}

TEST(UnmapModes, TheFlushTimerEndsTheStaleWindow) {
  PlatformConfig c = default_config_without_workloads();
  c.host.unmap = "lazy";
  c.host.flush_queue_size = 100;
  c.host.flush_timeout_ns = 2000;
  TestBench tb(c);
  auto& p = tb.platform();
  bool before_timeout = false, after_timeout = true;
  std::uint64_t flushes = 0;
  tb.run([&] {
    ASSERT_TRUE(tb.probe("nic0").issue({.address = 0x100000}).ok);
    ASSERT_TRUE(p.manager().unmap(p.ioas("as0"), 0x100000, 1u << 20).ok());
    before_timeout = tb.probe("nic0").issue({.address = 0x100000}).ok;
    sc_core::wait(sc_core::sc_time(10, sc_core::SC_US));
    after_timeout = tb.probe("nic0").issue({.address = 0x100000}).ok;
    flushes = p.manager().flush_queue_stats().flushes;
  });
  EXPECT_TRUE(before_timeout);
  EXPECT_FALSE(after_timeout);
  EXPECT_EQ(flushes, 1u);
}

// Each CPU queues into its own ring of the IOAS (dma-iommu's per-CPU
// flush queues): three unmaps on each of two CPUs fill neither ring of 4
// slots; a fourth on CPU 0 finds its ring full and flushes the domain.
TEST(UnmapModes, LazyUnmapsOnTwoCpusQueueInTwoRings) {
  PlatformConfig c = default_config_without_workloads();
  c.host.unmap = "lazy";
  c.host.flush_queue_size = 4;
  c.host.cpus = 2;
  c.address_spaces[0].mappings.clear();
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  std::uint64_t full_after_six = 0, full_after_seven = 0, queued = 0;
  tb.run([&] {
    const IoasId as0 = p.ioas("as0");
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(m.map(as0, 0x1000 * (i + 1), 0x1000, true).ok());
    int done = 0;
    sc_core::sc_event both;
    for (unsigned cpu = 0; cpu < 2; ++cpu) {
      sc_core::sc_spawn([&, cpu] {
        p.cpus().pin_current(cpu);
        for (unsigned k = 0; k < 3; ++k) {
          ASSERT_TRUE(m.unmap(as0, 0x1000 * (1 + cpu * 3 + k), 0x1000).ok());
        }
        if (++done == 2) both.notify();
      });
    }
    sc_core::wait(both);
    full_after_six = m.flush_queue_stats().full_flushes;
    ASSERT_TRUE(m.unmap(as0, 0x7000, 0x1000).ok());  // this thread runs on CPU 0
    full_after_seven = m.flush_queue_stats().full_flushes;
    queued = m.flush_queue_stats().queued;
  });
  EXPECT_EQ(full_after_six, 0u);
  EXPECT_EQ(full_after_seven, 1u);
  EXPECT_EQ(queued, 7u);
  EXPECT_EQ(p.stats().counter_value("host.ioas.fq.full_flushes"), 1u);
}

// Destroying an IOAS with unmaps still queued gives their IOVAs and table
// pages back unflushed (nothing is attached to use them) and leaves the
// armed timer nothing to do.
TEST(UnmapModes, DestroyingAnIoasReleasesItsQueueWithoutAFlush) {
  PlatformConfig c = default_config_without_workloads();
  c.host.unmap = "lazy";
  c.host.flush_timeout_ns = 2000;
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  Status destroyed;
  tb.run([&] {
    const IoasCreated spare = m.create_ioas();
    ASSERT_TRUE(spare.status.ok());
    ASSERT_TRUE(m.map(spare.id, 0x1000, 0x3000, true).ok());
    ASSERT_TRUE(m.unmap(spare.id, 0x1000, 0x3000).ok());
    destroyed = m.destroy_ioas(spare.id);
    sc_core::wait(sc_core::sc_time(10, sc_core::SC_US));  // past the timer
  });
  EXPECT_TRUE(destroyed.ok());
  EXPECT_EQ(m.flush_queue_stats().queued, 1u);
  EXPECT_EQ(m.flush_queue_stats().released, 1u);
  EXPECT_EQ(m.flush_queue_stats().flushes, 0u);
  EXPECT_EQ(m.flush_queue_stats().timeout_flushes, 0u);
}

}  // namespace
}  // namespace iommu_sim::test
