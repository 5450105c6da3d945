// SR-IOV end to end: a virtual function's DMA carries its own routing ID
// (PF + First VF Offset + n x VF Stride), so the IOMMU translates it
// through the VF's own context entry and faults a VF nobody attached,
// recording that VF's source ID; VFs share their PF's link.
#include <gtest/gtest.h>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_registers.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;

// nic0 as an Intel 82599 with 3 VFs (01:10.0, 01:10.2, 01:10.4); only VF 1
// is attached, to as0.
PlatformConfig three_vfs() {
  PlatformConfig c = default_config_without_workloads();
  c.pcie.endpoints[0].sriov = {.vfs = 3, .first_vf_offset = 0x80, .vf_stride = 2};
  c.attach = {{"nic0.vf1", 1, "as0"}};
  return c;
}

TEST(Sriov, AVirtualFunctionTranslatesThroughItsOwnContextEntry) {
  TestBench tb(three_vfs());
  DmaResult attached, other, pf;
  tb.run([&] {
    attached = tb.probe("nic0.vf1").issue({.address = 0x100000});
    other = tb.probe("nic0.vf0").issue({.address = 0x100000});
    pf = tb.probe("nic0").issue({.address = 0x100000});
  });
  EXPECT_TRUE(attached.ok);
  EXPECT_FALSE(other.ok);
  EXPECT_EQ(other.completion, CompletionStatus::UnsupportedRequest);
  EXPECT_FALSE(pf.ok);
  auto& bus = tb.platform().host_bus();
  const auto cap = vtd::CapRegister::decode(bus.mmio_read(vtd::kRegCap, 8));
  const std::uint64_t frcd = static_cast<std::uint64_t>(cap.fro) * 16;
  const auto first = vtd::FaultRecord::decode({bus.mmio_read(frcd, 8), bus.mmio_read(frcd + 8, 8)});
  EXPECT_TRUE(first.f);
  EXPECT_EQ(first.sid, (Bdf{1, 0x10, 0}.rid()));  // nic0.vf0, not the PF
  auto& stats = tb.platform().stats();
  EXPECT_EQ(stats.counter_value("iommu.faults.total"), 2u);
  // One link: the PF's, carrying all three DMAs.
  EXPECT_EQ(stats.counter_value("pcie.link.nic0.up.tlps"), 3u);
}

}  // namespace
}  // namespace iommu_sim::test
