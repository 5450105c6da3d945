// An unloaded translation's simulated latency equals the sum of its steps
// (DESIGN.md, modelling rules). The expected values are computed here from
// the parameters, step by step, not taken from the model.
#include <gtest/gtest.h>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;

PlatformConfig timing_config() {
  PlatformConfig c = timing_config_without_workloads();
  // These tests pin the full walk; test_paging_structure_caches.cpp shows
  // what the paging-structure caches save.
  disable_paging_structure_caches(c);
  return c;
}

TEST(TranslationTiming, ColdWalkIsEightTimedReadsPlusLookup) {
  TestBench tb(timing_config());
  DmaResult r;
  tb.run([&] { r = tb.probe("nic0").issue({.address = 0x100040}); });
  ASSERT_TRUE(r.ok);
  // Root entry 16 B, context entry 32 B, PASID directory entry 8 B, PASID
  // entry 64 B, then PML4E, PDPTE, PDE, PTE of 8 B each.
  const sc_time walk =
      read_time(16) + read_time(32) + read_time(8) + read_time(64) + 4 * read_time(8);
  const sc_time translation = sc_time(3, SC_NS) + walk;
  const Histogram& h = tb.platform().iommu().translation_latency();
  ASSERT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), translation.value());
  // Link up, root complex, translation, 64-byte memory read, link down.
  const sc_time end_to_end =
      sc_time(100, SC_NS) + sc_time(20, SC_NS) + translation + read_time(64) + sc_time(100, SC_NS);
  EXPECT_EQ(r.latency, end_to_end);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.walk.memory_reads"), 8u);
}

TEST(TranslationTiming, HitCostsExactlyTheLookupLatency) {
  TestBench tb(timing_config());
  DmaResult first, second;
  tb.run([&] {
    first = tb.probe("nic0").issue({.address = 0x100000});
    second = tb.probe("nic0").issue({.address = 0x100fc0});  // same page
  });
  ASSERT_TRUE(first.ok && second.ok);
  const Histogram& h = tb.platform().iommu().translation_latency();
  EXPECT_EQ(h.min(), sc_time(3, SC_NS).value());
  EXPECT_EQ(second.latency, sc_time(223, SC_NS) + read_time(64));
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.iotlb.hits"), 1u);
}

TEST(TranslationTiming, WarmContextAndPasidCachesLeaveFourPteReads) {
  TestBench tb(timing_config());
  DmaResult second;
  tb.run([&] {
    tb.probe("nic0").issue({.address = 0x100000});
    second = tb.probe("nic0").issue({.address = 0x101000});  // next page
  });
  ASSERT_TRUE(second.ok);
  const sc_time translation = sc_time(3, SC_NS) + 4 * read_time(8);
  EXPECT_EQ(second.latency, sc_time(220, SC_NS) + translation + read_time(64));
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.context_cache.hits"), 1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.pasid_cache.hits"), 1u);
}

TEST(TranslationTiming, SimultaneousColdWalksQueueOnTheMemoryChannel) {
  // Two endpoints start cold walks at the same instant. Whichever reaches
  // memory second (B) waits for A's transfer: 1 ns behind the 16-byte root
  // entry, then, arriving 1 ns after A, 1 ns behind A's 32-byte context
  // entry, then 2 ns behind A's 64-byte PASID entry; from there B trails A
  // by 4 ns and its 8-byte reads find the channel free. B: +4 ns in total.
  // Miss merging is off: with it, B would wait for A's walk of the page.
  PlatformConfig c = timing_config();
  c.iommu.merge_misses = false;
  c.pcie.endpoints.push_back({"nic1"});
  c.attach.push_back({"nic1", 1, "as0"});
  TestBench tb(c);
  DmaResult a, b;
  tb.run([&] {
    sc_core::sc_spawn([&] { b = tb.probe("nic1").issue({.address = 0x100000}); });
    a = tb.probe("nic0").issue({.address = 0x100000});
  });
  ASSERT_TRUE(a.ok && b.ok);
  const sc_time diff = a.latency > b.latency ? a.latency - b.latency : b.latency - a.latency;
  EXPECT_EQ(diff, sc_time(4, SC_NS));
  const Histogram* q = tb.platform().stats().find_histogram("memory.queue_delay");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->sum(), sc_time(4, SC_NS).value());
}

// Two endpoints in one IOAS, both with warm context and PASID caches; then
// each misses the IOTLB at the same instant, at `page_a` and `page_b`.
struct SimultaneousMisses {
  DmaResult a, b;
  const Histogram* translation = nullptr;
  std::uint64_t warm_walks = 0;
};

SimultaneousMisses simultaneous_misses(TestBench& tb, std::uint64_t page_a, std::uint64_t page_b) {
  SimultaneousMisses m;
  auto& p = tb.platform();
  tb.run([&] {
    tb.probe("nic0").issue({.address = 0x1f0000});
    tb.probe("nic1").issue({.address = 0x1f1000});
    m.warm_walks = p.stats().counter_value("iommu.walk.count");
    sc_core::sc_spawn([&] { m.b = tb.probe("nic1").issue({.address = page_b}); });
    m.a = tb.probe("nic0").issue({.address = page_a});
  });
  m.translation = &p.iommu().translation_latency();
  return m;
}

PlatformConfig two_endpoint_config(std::uint32_t walk_engines, bool merge) {
  PlatformConfig c = timing_config();
  c.iommu.walk_engines = walk_engines;
  c.iommu.merge_misses = merge;
  c.pcie.endpoints.push_back({"nic1"});
  c.attach.push_back({"nic1", 1, "as0"});
  return c;
}

// A warm miss walks the four first-level entries: 3 ns lookup + 4 reads.
const sc_time kWarmMiss = sc_time(3, SC_NS) + 4 * read_time(8);

TEST(WalkEngines, WithOneEngineTheSecondMissWaitsForTheFirstWalk) {
  TestBench tb(two_endpoint_config(1, true));
  const auto m = simultaneous_misses(tb, 0x120000, 0x130000);
  ASSERT_TRUE(m.a.ok && m.b.ok);
  // One translation walks unhindered; the other waits for the whole walk
  // (4 x 80.5 ns), and its first read then queues 4 ns behind the first
  // DMA's 64-byte data read, which takes the channel at the same instant.
  EXPECT_EQ(m.translation->count_of(kWarmMiss.value()), 1u);
  EXPECT_EQ(m.translation->count_of((kWarmMiss + 4 * read_time(8) + sc_time(4, SC_NS)).value()),
            1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.walk.engine_wait"), 1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.walk.merged"), 0u);
}

TEST(WalkEngines, WithTwoEnginesMissesWalkInParallelAndShareOnlyTheChannel) {
  TestBench tb(two_endpoint_config(2, true));
  const auto m = simultaneous_misses(tb, 0x120000, 0x130000);
  ASSERT_TRUE(m.a.ok && m.b.ok);
  // The second walk trails the first by one 8-byte transfer (0.5 ns) on
  // the memory channel.
  EXPECT_EQ(m.translation->count_of(kWarmMiss.value()), 1u);
  EXPECT_EQ(m.translation->count_of((kWarmMiss + sc_time(500, SC_PS)).value()), 1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.walk.engine_wait"), 0u);
}

TEST(WalkEngines, MergedMissesToOnePageCostOneWalk) {
  TestBench tb(two_endpoint_config(4, true));
  const auto m = simultaneous_misses(tb, 0x150040, 0x150080);
  ASSERT_TRUE(m.a.ok && m.b.ok);
  auto& s = tb.platform().stats();
  EXPECT_EQ(s.counter_value("iommu.walk.count") - m.warm_walks, 1u);
  EXPECT_EQ(s.counter_value("iommu.walk.merged"), 1u);
  // The waiter finishes with the walk it waited for.
  EXPECT_EQ(m.translation->count_of(kWarmMiss.value()), 2u);
  // Both warm-ups walked eight reads; the merged pair four in all.
  EXPECT_EQ(s.counter_value("iommu.walk.memory_reads"), 8u + 8u + 4u);
  // The data reads then queue: the second waits for the first's 64 bytes.
  const sc_time diff =
      m.a.latency > m.b.latency ? m.a.latency - m.b.latency : m.b.latency - m.a.latency;
  EXPECT_EQ(diff, sc_time(4, SC_NS));
}

TEST(WalkEngines, WithoutMergingMissesToOnePageWalkTwice) {
  TestBench tb(two_endpoint_config(4, false));
  const auto m = simultaneous_misses(tb, 0x150040, 0x150080);
  ASSERT_TRUE(m.a.ok && m.b.ok);
  auto& s = tb.platform().stats();
  EXPECT_EQ(s.counter_value("iommu.walk.count") - m.warm_walks, 2u);
  EXPECT_EQ(s.counter_value("iommu.walk.merged"), 0u);
  EXPECT_EQ(m.translation->count_of((kWarmMiss + sc_time(500, SC_PS)).value()), 1u);
}

TEST(Translation, DmaWriteLandsAtThePhysicalAddressTheTableNames) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  DmaResult w, r;
  tb.run([&] {
    w = tb.probe("nic0").issue({.address = 0x1a3040, .write = true, .fill = 0x5c});
    r = tb.probe("nic0").issue({.address = 0x1a3040});
  });
  ASSERT_TRUE(w.ok && r.ok);
  const auto pa = p.manager().physical(p.ioas("as0"), 0x1a3040);
  ASSERT_TRUE(pa.has_value());
  // The manager backs the mapping with data_region onwards, page for page.
  EXPECT_EQ(*pa, p.config().host.data_region + 0xa3040);
  std::array<std::uint8_t, 64> landed{};
  p.memory().store().read(*pa, landed);
  for (auto b : landed) EXPECT_EQ(b, 0x5c);
  EXPECT_EQ(r.data, std::vector<std::uint8_t>(64, 0x5c));
  // Nothing was written at the untranslated address.
  std::array<std::uint8_t, 64> untouched{};
  p.memory().store().read(0x1a3040, untouched);
  for (auto b : untouched) EXPECT_EQ(b, 0);
}

TEST(TranslationTiming, FunctionalModeGivesTheSameTranslationsAndCounters) {
  auto run_mode = [](const char* mode) {
    PlatformConfig c = PlatformConfig{};
    c.mode = mode;
    c.workloads[0].count = 3000;
    start_fresh_kernel();
    Platform p(c);
    p.run();
    return p.stats_json()["stats"];
  };
  const auto timed = run_mode("timed");
  const auto functional = run_mode("functional");
  for (const char* key : {"iommu.iotlb.hits", "iommu.iotlb.misses", "iommu.walk.memory_reads",
                          "iommu.translated", "workload.wl0.completed", "memory.reads"}) {
    EXPECT_EQ(timed[key], functional[key]) << key;
  }
  EXPECT_EQ(timed["workload.wl0.completed"], 3000);
}

TEST(WalkCache, EveryStructureReadHitsTheCacheNearTheIommuAtFractionOne) {
  // A cold walk's eight reads each cost the cache latency (25 ns) and none
  // reaches memory: the one memory read is the DMA's data.
  PlatformConfig c = timing_config();
  c.iommu.walk_llc_hit_fraction = 1.0;
  c.iommu.walk_llc_latency_ns = 25;
  TestBench tb(c);
  DmaResult r;
  tb.run([&] { r = tb.probe("nic0").issue({.address = 0x100040}); });
  ASSERT_TRUE(r.ok);
  auto& s = tb.platform().stats();
  EXPECT_EQ(tb.platform().iommu().translation_latency().max(),
            (sc_time(3, SC_NS) + 8 * sc_time(25, SC_NS)).value());
  EXPECT_EQ(s.counter_value("iommu.walk.llc_hits"), 8u);
  EXPECT_EQ(s.counter_value("iommu.walk.memory_reads"), 8u);
  EXPECT_EQ(s.counter_value("memory.reads"), 1u);
}

TEST(WalkCache, APartialFractionSplitsReadsReproducibly) {
  auto run = [](std::uint64_t seed) {
    PlatformConfig c = PlatformConfig{};
    c.seed = seed;
    c.iommu.walk_llc_hit_fraction = 0.5;
    c.workloads[0].count = 4000;
    start_fresh_kernel();
    Platform p(c);
    p.run();
    return std::pair{p.stats().counter_value("iommu.walk.llc_hits"),
                     p.stats().counter_value("iommu.walk.memory_reads")};
  };
  const auto [hits, reads] = run(3);
  EXPECT_EQ(run(3), std::pair(hits, reads));
  // About half of the structure reads hit (binomial: far inside 40-60 %),
  // and exactly the others went to memory.
  EXPECT_GT(hits * 10, reads * 4);
  EXPECT_LT(hits * 10, reads * 6);
}

}  // namespace
}  // namespace iommu_sim::test
