// Every PGTT the model implements, walked cold and warm: the number of
// table reads and the unloaded latency are computed here from the
// parameters and the table shapes (VT-d spec 3.6 first-level, 3.7
// second-level, 3.8 nested), and the DMA must land where the tables say.
#include <gtest/gtest.h>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;

PlatformConfig modes_config() {
  PlatformConfig c = timing_config_without_workloads();
  c.iommu.address_width = 57;  // every paging mode available
  // Every level is read: no paging-structure caches (their own tests are
  // in test_paging_structure_caches.cpp).
  disable_paging_structure_caches(c);
  return c;
}

// Root (16 B), context (32 B), PASID directory (8 B) and PASID entry (64 B).
sc_time context_reads() {
  return read_time(16) + read_time(32) + read_time(8) + read_time(64);
}

// The guest of make_nested with `fl` x `sl` levels, on the timing platform.
PlatformConfig nested_config(unsigned fl, unsigned sl) {
  PlatformConfig c = modes_config();
  make_nested(c, fl, sl);
  return c;
}

void disable_caches(PlatformConfig& c) {
  c.iommu.iotlb.enabled = false;
  c.iommu.context_cache.enabled = false;
  c.iommu.pasid_cache.enabled = false;
}

struct Cold {
  DmaResult dma;
  std::uint64_t walk_reads = 0;
  std::uint64_t translation_ps = 0;
};

Cold cold_dma(const PlatformConfig& c, const DmaRequest& req) {
  TestBench tb(c);
  Cold out;
  tb.run([&] { out.dma = tb.probe("nic0").issue(req); });
  out.walk_reads = tb.platform().stats().counter_value("iommu.walk.memory_reads");
  out.translation_ps = tb.platform().iommu().translation_latency().max();
  return out;
}

TEST(TranslationModes, NestedFourByFourColdWalkReadsTwentyFourPagingEntries) {
  // Each of the four first-level entries sits at a guest-physical address
  // the second level translates first (4 x (4 + 1)), then the output
  // guest-physical address is translated (4): 24 paging-entry reads.
  PlatformConfig c = nested_config(4, 4);
  disable_caches(c);
  const Cold r = cold_dma(c, {.address = 0x100040});
  ASSERT_TRUE(r.dma.ok);
  EXPECT_EQ(r.walk_reads, 4u + 24u);
  EXPECT_EQ(r.translation_ps, (sc_time(3, SC_NS) + context_reads() + 24 * read_time(8)).value());
}

struct Shape {
  unsigned fl, sl;
};
class NestedShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(NestedShapes, ColdWalkReadsFlTimesSlPlusOneThenSl) {
  const auto [fl, sl] = GetParam();
  PlatformConfig c = nested_config(fl, sl);
  disable_caches(c);
  const Cold r = cold_dma(c, {.address = 0x100040});
  ASSERT_TRUE(r.dma.ok);
  const unsigned paging = fl * (sl + 1) + sl;
  EXPECT_EQ(r.walk_reads, 4u + paging);
  EXPECT_EQ(r.translation_ps,
            (sc_time(3, SC_NS) + context_reads() + paging * read_time(8)).value());
}

INSTANTIATE_TEST_SUITE_P(Shapes, NestedShapes,
                         ::testing::Values(Shape{4, 3}, Shape{4, 5}, Shape{5, 3}, Shape{5, 5}),
                         [](const auto& info) {
                           return "Fl" + std::to_string(info.param.fl) + "Sl" +
                                  std::to_string(info.param.sl);
                         });

TEST(TranslationModes, NestedDmaLandsWhereBothLevelsSay) {
  TestBench tb(nested_config(4, 4));
  auto& p = tb.platform();
  DmaResult w, r;
  tb.run([&] {
    w = tb.probe("nic0").issue({.address = 0x1230c0, .write = true, .fill = 0x3d});
    r = tb.probe("nic0").issue({.address = 0x1230c0});
  });
  ASSERT_TRUE(w.ok && r.ok);
  const auto hpa = p.manager().physical(p.ioas("guest"), 0x1230c0);
  ASSERT_TRUE(hpa.has_value());
  std::array<std::uint8_t, 64> landed{};
  p.memory().store().read(*hpa, landed);
  for (auto b : landed) EXPECT_EQ(b, 0x3d);
  EXPECT_EQ(r.data, std::vector<std::uint8_t>(64, 0x3d));
  // The second DMA hit the combined (IOVA -> host-physical) IOTLB entry.
  EXPECT_EQ(p.stats().counter_value("iommu.iotlb.hits"), 1u);
}

class SecondLevelDepth : public ::testing::TestWithParam<unsigned> {};

TEST_P(SecondLevelDepth, ColdWalkReadsOneEntryPerLevel) {
  PlatformConfig c = modes_config();
  c.address_spaces[0].translation = "second_level";
  c.address_spaces[0].levels = GetParam();
  const Cold r = cold_dma(c, {.address = 0x100040});
  ASSERT_TRUE(r.dma.ok);
  EXPECT_EQ(r.walk_reads, 4u + GetParam());
  EXPECT_EQ(r.translation_ps,
            (sc_time(3, SC_NS) + context_reads() + GetParam() * read_time(8)).value());
}

INSTANTIATE_TEST_SUITE_P(Levels, SecondLevelDepth, ::testing::Values(3u, 4u, 5u));

TEST(TranslationModes, FiveLevelFirstLevelWalkReadsFiveEntries) {
  PlatformConfig c = modes_config();
  c.address_spaces[0].levels = 5;
  c.address_spaces[0].mappings[0].iova = 0x00ab'cdef'0000'0000ull;  // needs more than 48 bits
  c.address_spaces[0].mappings[0].size = 1ull << 20;
  const Cold r = cold_dma(c, {.address = 0x00ab'cdef'0000'0040ull});
  ASSERT_TRUE(r.dma.ok);
  EXPECT_EQ(r.walk_reads, 4u + 5u);
  EXPECT_EQ(r.translation_ps, (sc_time(3, SC_NS) + context_reads() + 5 * read_time(8)).value());
}

struct LargePage {
  std::string translation;
  std::uint64_t page_size;
  unsigned leaf_level;  // 2: 2 MiB, 3: 1 GiB
};
class LargePages : public ::testing::TestWithParam<LargePage> {};

TEST_P(LargePages, OneLeafEndsTheWalkAndOneIotlbEntryCoversThePage) {
  const auto& lp = GetParam();
  PlatformConfig c = modes_config();
  c.address_spaces[0].translation = lp.translation;
  c.address_spaces[0].page_size = lp.page_size;
  c.address_spaces[0].mappings[0] = {.iova = 1ull << 30, .size = lp.page_size};
  TestBench tb(c);
  DmaResult first, far;
  std::uint64_t reads_after_first = 0;
  tb.run([&] {
    first = tb.probe("nic0").issue({.address = (1ull << 30) + 0x40});
    reads_after_first = tb.platform().stats().counter_value("iommu.walk.memory_reads");
    far = tb.probe("nic0").issue({.address = (1ull << 30) + lp.page_size - 0x1000});
  });
  ASSERT_TRUE(first.ok && far.ok);
  auto& s = tb.platform().stats();
  // 4-level table: the walk stops at the leaf level.
  EXPECT_EQ(reads_after_first, 4u + (4u - lp.leaf_level + 1u));
  EXPECT_EQ(s.counter_value("iommu.iotlb.hits"), 1u);
  EXPECT_EQ(s.counter_value("iommu.walk.count"), 1u);
  EXPECT_EQ(tb.platform().iommu().translation_latency().min(), sc_time(3, SC_NS).value());
}

INSTANTIATE_TEST_SUITE_P(Sizes, LargePages,
                         ::testing::Values(LargePage{"first_level", 2ull << 20, 2},
                                           LargePage{"first_level", 1ull << 30, 3},
                                           LargePage{"second_level", 2ull << 20, 2},
                                           LargePage{"second_level", 1ull << 30, 3}),
                         [](const auto& info) {
                           return info.param.translation +
                                  (info.param.leaf_level == 2 ? "2MiB" : "1GiB");
                         });

TEST(TranslationModes, NestedIotlbEntryHasTheSmallerOfTheTwoPageSizes) {
  // The guest maps 2 MiB pages, the second level 4 KiB ones: the combined
  // translation is only valid for 4 KiB, so the next 4 KiB page walks again.
  PlatformConfig c = nested_config(4, 4);
  c.address_spaces[1].page_size = 2ull << 20;
  c.address_spaces[1].mappings[0] = {.iova = 0x200000, .size = 2ull << 20};
  TestBench tb(c);
  DmaResult a, b;
  tb.run([&] {
    a = tb.probe("nic0").issue({.address = 0x200000});
    b = tb.probe("nic0").issue({.address = 0x201000});
  });
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.walk.count"), 2u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.iotlb.hits"), 0u);
}

TEST(AccessedDirty, ColdWalkSetsAccessedInEveryEntryItUses) {
  // Clear A in the four first-level entries of 0x100000; the walk sets them
  // again, each with one locked read-modify-write (a timed 8-byte write).
  PlatformConfig c = modes_config();
  TestBench tb(c);
  auto& p = tb.platform();
  std::vector<std::uint64_t> entries;
  DmaResult r;
  tb.run([&] {
    std::uint64_t table = p.manager().page_table_root(p.ioas("as0"));
    for (unsigned level = 4; level >= 1; --level) {
      const std::uint64_t at = table + ((0x100000ull >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
      const std::uint64_t e = p.host_bus().read64(at);
      p.host_bus().write64(at, e & ~(1ull << 5));
      entries.push_back(at);
      table = e & 0x000ffffffffff000ull;
    }
    r = tb.probe("nic0").issue({.address = 0x100000});
  });
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(p.stats().counter_value("iommu.walk.ad_updates"), 4u);
  for (std::uint64_t at : entries) EXPECT_TRUE(p.host_bus().read64(at) & (1ull << 5)) << at;
  // The leaf's Dirty flag stays as it was: this was a read.
  EXPECT_TRUE(p.host_bus().read64(entries.back()) & (1ull << 6));
  const sc_time write8 = read_time(8);  // a write occupies the channel the same way
  EXPECT_EQ(p.iommu().translation_latency().max(),
            (sc_time(3, SC_NS) + context_reads() + 4 * read_time(8) + 4 * write8).value());
}

TEST(AccessedDirty, AWriteThroughAnEntryWithoutDirtyWalksAgainAndSetsIt) {
  PlatformConfig c = modes_config();
  TestBench tb(c);
  auto& p = tb.platform();
  std::uint64_t leaf = 0;
  DmaResult rd, wr, wr2;
  tb.run([&] {
    std::uint64_t table = p.manager().page_table_root(p.ioas("as0"));
    for (unsigned level = 4; level >= 1; --level) {
      const std::uint64_t at = table + ((0x100000ull >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
      leaf = at;
      table = p.host_bus().read64(at) & 0x000ffffffffff000ull;
    }
    p.host_bus().write64(leaf, p.host_bus().read64(leaf) & ~(1ull << 6));
    rd = tb.probe("nic0").issue({.address = 0x100000});
    wr = tb.probe("nic0").issue({.address = 0x100040, .write = true});
    wr2 = tb.probe("nic0").issue({.address = 0x100080, .write = true});
  });
  ASSERT_TRUE(rd.ok && wr.ok && wr2.ok);
  EXPECT_TRUE(p.host_bus().read64(leaf) & (1ull << 6));
  auto& s = p.stats();
  // Read: walk; first write: IOTLB entry not dirty, walks again and sets D;
  // second write: hits the now dirty entry.
  EXPECT_EQ(s.counter_value("iommu.walk.count"), 2u);
  EXPECT_EQ(s.counter_value("iommu.walk.ad_updates"), 1u);
  EXPECT_EQ(s.counter_value("iommu.iotlb.hits"), 2u);
}

}  // namespace
}  // namespace iommu_sim::test
