// The accelerator device model: one long-lived buffer mapped once through
// the DMA API with 2 MiB pages, streamed over by the device's DMA engine.
#include <gtest/gtest.h>

#include "model/kernel.h"
#include "tests/support/config_errors.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim {
namespace {

PlatformConfig accelerator_config(bool ats) {
  PlatformConfig c = test::default_config_without_workloads();
  c.attach.clear();
  c.address_spaces.clear();
  c.pcie.endpoints[0].ats.enabled = ats;
  DeviceModelParams d;
  d.name = "gpu";
  d.type = "accelerator";
  d.device = "nic0";
  d.buffer_size = 64ull << 20;
  d.queue_depth = 8;
  d.count = 16384;  // the buffer once, 4 KiB at a time
  c.devices = {d};
  return c;
}

TEST(Accelerator, ItsBufferIsMappedOnceWithTwoMibPagesBelowTheInterruptWindow) {
  start_fresh_kernel();
  Platform p(accelerator_config(false));
  p.run();
  // 16384 pages: an IOVA aligned to 64 MiB; the highest, 0xFC000000, would
  // hold the interrupt window 0xFEE00000, so the one below it.
  EXPECT_EQ(p.accelerator_engine(0).base(), 0xF8000000u);
  EXPECT_EQ(p.stats().counter_value("host.dma_api.maps"), 1u);
  EXPECT_EQ(p.stats().counter_value("host.dma_api.unmaps"), 0u);
  EXPECT_EQ(p.stats().counter_value("workload.gpu.completed"), 16384u);
  EXPECT_EQ(p.stats().counter_value("iommu.faults.total"), 0u);
  // 32 pages of 2 MiB: a walk for each, and one more for each DMA that
  // reaches a new 2 MiB page in another 4 KiB page while the first walk is
  // in flight (walks merge per 4 KiB page: the engine cannot know the leaf
  // size before walking); never one per 4 KiB page (16384).
  EXPECT_GE(p.stats().counter_value("iommu.walk.count"), 32u);
  EXPECT_LE(p.stats().counter_value("iommu.walk.count"), 3u * 32);
  EXPECT_EQ(p.device_driver(0).completed(), 16384u);
}

TEST(Accelerator, WithAtsItTranslatesThroughItsDeviceTlb) {
  start_fresh_kernel();
  Platform p(accelerator_config(true));
  p.run();
  EXPECT_EQ(p.stats().counter_value("workload.gpu.completed"), 16384u);
  EXPECT_GE(p.stats().counter_value("iommu.ats.translation_requests"), 32u);
  EXPECT_GT(p.stats().counter_value("pcie.nic0.atc.hits"), 15000u);
  EXPECT_EQ(p.stats().counter_value("iommu.faults.total"), 0u);
}

TEST(Accelerator, ABufferOfPartPagesIsRefused) {
  PlatformConfig c = accelerator_config(false);
  c.devices[0].buffer_size = 6000;
  EXPECT_TRUE(test::has_error(validate(c), "devices[0].buffer_size", "multiple of 4096"));
}

}  // namespace
}  // namespace iommu_sim
