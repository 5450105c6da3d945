// The DMA engine's parameters: where offset places DMAs in the window, and
// the values a config may not give (each refused naming its field).
#include <gtest/gtest.h>

#include <vector>

#include "model/platform/platform_config.h"
#include "tests/support/config_errors.h"

namespace iommu_sim {
namespace {

using nlohmann::json;

std::vector<ConfigError> load_workload(const json& fields) {
  json w = {{"device", "nic0"}};
  w.update(fields);
  PlatformConfig c;
  return load_config(json{{"workloads", json::array({w})}}, c);
}

TEST(DmaEnginePlacement, OffsetZeroKeepsTheSizeStridedAddresses) {
  // Before offsets existed slot i was base + i x size and there were
  // span / size slots; the page layout must give the same, even for a
  // window that starts and ends inside a page.
  const WorkloadParams w{.base = 0x100040, .span = 6000, .size = 64};
  ASSERT_EQ(dma_slots_per_page(w), 64u);
  ASSERT_EQ(dma_slots_in_window(w), 6000u / 64);
  for (std::uint64_t i = 0; i < dma_slots_in_window(w); ++i) {
    ASSERT_EQ(dma_slot_address(w, 64, i), 0x100040 + i * 64) << i;
  }
}

TEST(DmaEnginePlacement, OffsetPlacesSlotsInsideEachPage) {
  // offset 100, size 64: floor((4096 - 100) / 64) = 62 slots per page, at
  // page + 100 + k x 64; the last ends at 100 + 62 x 64 = 4068 <= 4096.
  // Two pages and 1000 bytes of a third: 62 + 62 + floor((1000 - 100) / 64)
  // = 62 + 62 + 14 = 138 slots.
  const WorkloadParams w{.base = 0x200000, .span = 2 * 4096 + 1000, .size = 64, .offset = 100};
  ASSERT_EQ(dma_slots_per_page(w), 62u);
  ASSERT_EQ(dma_slots_in_window(w), 138u);
  EXPECT_EQ(dma_slot_address(w, 62, 0), 0x200064u);
  EXPECT_EQ(dma_slot_address(w, 62, 1), 0x2000a4u);
  EXPECT_EQ(dma_slot_address(w, 62, 61), 0x200fa4u);  // 0x200000 + 100 + 61 x 64
  EXPECT_EQ(dma_slot_address(w, 62, 62), 0x201064u);  // next page, offset again
  EXPECT_EQ(dma_slot_address(w, 62, 137), 0x202064u + 13 * 64);
  for (std::uint64_t i = 0; i < dma_slots_in_window(w); ++i) {
    const std::uint64_t a = dma_slot_address(w, 62, i);
    ASSERT_LE(a % 4096 + w.size, 4096u) << "slot " << i << " crosses a page";
    ASSERT_LE(a + w.size, w.base + w.span) << "slot " << i << " leaves the window";
  }
}

TEST(DmaEngineConfig, UnknownModeIsRefused) {
  EXPECT_TRUE(test::has_error(load_workload({{"mode", "fast"}}), "workloads[0].mode", "fast"));
}

TEST(DmaEngineConfig, OffsetThatPushesADmaAcrossAPageIsRefused) {
  // 4095 + 64 = 4159 > 4096.
  EXPECT_TRUE(test::has_error(load_workload({{"offset", 4095}, {"size", 64}}),
                              "workloads[0].offset", "4159"));
  EXPECT_TRUE(load_workload({{"offset", 4032}, {"size", 64}}).empty());
}

TEST(DmaEngineConfig, OffsetNeedsAPageAlignedBase) {
  EXPECT_TRUE(test::has_error(load_workload({{"offset", 8}, {"base", "0x100040"}}),
                              "workloads[0].base", "4 KiB aligned"));
}

TEST(DmaEngineConfig, OffsetBeyondTheWindowLeavesNoSlotAndIsRefused) {
  EXPECT_TRUE(test::has_error(load_workload({{"offset", 512}, {"span", 512}}), "workloads[0].span",
                              "holds no 64-byte DMA"));
}

TEST(DmaEngineConfig, OutstandingIsForSlotsModeOnly) {
  EXPECT_TRUE(test::has_error(load_workload({{"mode", "latency"}, {"outstanding", 4}}),
                              "workloads[0].outstanding", "one DMA"));
  EXPECT_TRUE(test::has_error(load_workload({{"mode", "bandwidth"}, {"outstanding", 4}}),
                              "workloads[0].outstanding", "tags"));
  EXPECT_TRUE(load_workload({{"mode", "slots"}, {"outstanding", 4}}).empty());
  EXPECT_TRUE(load_workload({{"mode", "bandwidth"}}).empty());
}

TEST(DmaEngineConfig, UnknownHostCacheStateIsRefused) {
  EXPECT_TRUE(
      test::has_error(load_workload({{"host_cache", "hot"}}), "workloads[0].host_cache", "hot"));
}

TEST(DmaEngineConfig, DmaRemappingIsOnOrOff) {
  PlatformConfig c;
  EXPECT_TRUE(test::has_error(load_config(json{{"host", {{"dma_remapping", "maybe"}}}}, c),
                              "host.dma_remapping", "maybe"));
  ASSERT_TRUE(load_config(json{{"host", {{"dma_remapping", "off"}}}}, c).empty());
  EXPECT_EQ(c.host.dma_remapping, "off");
}

}  // namespace
}  // namespace iommu_sim
