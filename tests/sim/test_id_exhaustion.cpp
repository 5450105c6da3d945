// ID spaces running out: PASIDs, IOVA space (the ioasid manager's and the
// DMA API's), fault records and invalidation-queue slots. Each is refused
// clearly (an errno, or FSTS.PFO for faults), nothing wraps, and what was
// allocated before keeps working. Domain IDs: test_domain_ids.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_registers.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;

// PDTS 0: a 128-entry PASID directory, PASIDs 0 to 8191 (VT-d spec 9.4).
// nic0 is attached at every one of them; the next is EINVAL (Linux's
// iommu_attach_device_pasid against max_pasids) with nothing written. Then
// unmapping the IOAS they share invalidates all 8192 PASIDs: 8192
// descriptors, far more than the 128-slot queue holds, in submissions of
// 16 (Linux's qi_batch) with a wait each.
TEST(IdExhaustion, EveryPasidOfTheDirectoryThenEinvalAndAnUnmapInvalidatesThemAll) {
  PlatformConfig c = default_config_without_workloads();
  c.attach.clear();
  c.host.pasid_dir_size_bits = 0;
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  auto& s = p.stats();
  constexpr std::uint32_t kPasids = 8192;
  std::uint32_t attached = 0;
  Status beyond, unmapped;
  std::uint64_t digest_before = 0, digest_after = 0, qi_before = 0, qi_after = 0;
  DmaResult last, rid_pasid, too_large, after_unmap;
  std::uint64_t pasid_iotlb = 0, waits = 0;
  tb.run([&] {
    const IoasId as0 = p.ioas("as0");
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    for (std::uint32_t pasid = 0; pasid < kPasids; ++pasid) {
      attached += m.attach_device(ctx, "nic", pasid, as0).ok();
    }
    digest_before = p.memory().store().digest();
    qi_before = s.counter_value("iommu.qi.descriptors");
    beyond = m.attach_device(ctx, "nic", kPasids, as0);
    digest_after = p.memory().store().digest();
    qi_after = s.counter_value("iommu.qi.descriptors");
    p.host_bus().write64(*m.physical(as0, 0x100000), kMarker);
    last = tb.probe("nic0").issue({.address = 0x100000, .pasid = kPasids - 1});
    rid_pasid = tb.probe("nic0").issue({.address = 0x100000, .pasid_present = false});
    too_large = tb.probe("nic0").issue({.address = 0x100000, .pasid = kPasids});
    const auto iotlb = s.counter_value("iommu.qi.pasid_iotlb");
    const auto w = s.counter_value("iommu.qi.waits");
    unmapped = m.unmap(as0, 0x100000, 1 << 20);
    pasid_iotlb = s.counter_value("iommu.qi.pasid_iotlb") - iotlb;
    waits = s.counter_value("iommu.qi.waits") - w;
    after_unmap = tb.probe("nic0").issue({.address = 0x100000, .pasid = 4096});
  });
  EXPECT_EQ(attached, kPasids);
  EXPECT_EQ(beyond.code, EINVAL) << beyond.message;
  EXPECT_NE(beyond.message.find("exceeds the PASID directory"), std::string::npos)
      << beyond.message;
  EXPECT_EQ(digest_after, digest_before) << "a refused attach wrote memory";
  EXPECT_EQ(qi_after, qi_before);
  // The last PASID and PASID 0, where a wrapped 8192 would have landed.
  EXPECT_TRUE(last.ok);
  EXPECT_EQ(first_word(last), kMarker);
  EXPECT_TRUE(rid_pasid.ok);
  EXPECT_EQ(first_word(rid_pasid), kMarker);
  EXPECT_FALSE(too_large.ok);
  EXPECT_EQ(s.counter_value("iommu.faults.reason.0x46"), 1u);  // PASID beyond the directory
  ASSERT_TRUE(unmapped.ok()) << unmapped.message;
  EXPECT_EQ(pasid_iotlb, kPasids);
  EXPECT_EQ(waits, kPasids / 16);
  EXPECT_EQ(s.counter_value("iommu.qi.errors"), 0u);
  EXPECT_FALSE(after_unmap.ok);
}

// The IOVA space of an IOAS runs out: map_anywhere hands out the lowest
// free pages (never page 0, nor the reserved rest) until none is left,
// then ENOSPC with nothing written; the mappings keep translating, and a
// page unmapped is the next one handed out.
TEST(IdExhaustion, MapAnywhereUntilTheIovaSpaceIsFullThenEnospc) {
  PlatformConfig c = default_config_without_workloads();
  c.attach.clear();
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  std::vector<std::uint64_t> iovas;
  IoasidManager::Mapped refused, again;
  std::uint64_t digest_before = 0, digest_after = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_before, ranges_after;
  DmaResult first, last;
  tb.run([&] {
    const IoasId id = m.create_ioas().id;
    // What is left: [0, 1 MiB).
    ASSERT_TRUE(m.reserve(id, 1 << 20, (1ull << 47) - (1 << 20)).ok());
    for (;;) {
      const auto got = m.map_anywhere(id, 4096, true);
      if (!got.status.ok()) {
        refused = got;
        break;
      }
      iovas.push_back(got.iova);
    }
    ranges_before = m.iova_ranges(id);
    digest_before = p.memory().store().digest();
    refused = m.map_anywhere(id, 4096, true);
    digest_after = p.memory().store().digest();
    ranges_after = m.iova_ranges(id);
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    ASSERT_TRUE(m.attach_device(ctx, "nic", 2, id).ok());
    p.host_bus().write64(*m.physical(id, iovas.front()), kMarker);
    p.host_bus().write64(*m.physical(id, iovas.back()), kMarker + 1);
    first = tb.probe("nic0").issue({.address = iovas.front(), .pasid = 2});
    last = tb.probe("nic0").issue({.address = iovas.back(), .pasid = 2});
    ASSERT_TRUE(m.unmap(id, 0x80000, 4096).ok());
    again = m.map_anywhere(id, 4096, true);
  });
  // Pages 1 to 255, in order.
  ASSERT_EQ(iovas.size(), 255u);
  for (std::size_t i = 0; i < iovas.size(); ++i) EXPECT_EQ(iovas[i], (i + 1) * 4096);
  EXPECT_EQ(refused.status.code, ENOSPC) << refused.status.message;
  EXPECT_EQ(digest_after, digest_before);
  EXPECT_EQ(ranges_after, ranges_before);
  EXPECT_TRUE(first.ok);
  EXPECT_EQ(first_word(first), kMarker);
  EXPECT_TRUE(last.ok);
  EXPECT_EQ(first_word(last), kMarker + 1);
  ASSERT_TRUE(again.status.ok()) << again.status.message;
  EXPECT_EQ(again.iova, 0x80000u);
}

// The DMA API's IOVA space (Linux iova.c) runs out. A 4-level first-level
// table translates the canonical lower half, 47 bits (VT-d spec 3.6.1;
// Linux's first-stage aperture skips bit 47): three 32 TiB buffers take the
// three 32 TiB-aligned slots the interrupt window leaves whole; a fourth is
// ENOMEM (dma_map's DMA_MAPPING_ERROR) with nothing written, counted in
// host.dma_api.map_failures; a small buffer still fits below 4 GiB, and
// the big mappings still translate.
TEST(IdExhaustion, TheDmaApisIovaSpaceRunsOutWithEnomem) {
  PlatformConfig c = default_config_without_workloads();
  c.attach.clear();
  c.host.dma_api = "strict";
  TestBench tb(c);
  auto& p = tb.platform();
  constexpr std::uint64_t kHuge = 1ull << 45, kBuffer = 0x300000000ull;
  std::vector<DmaApi::Mapped> huge;
  DmaApi::Mapped refused, small;
  std::uint64_t digest_before = 0, digest_after = 0;
  DmaResult through_huge, through_small;
  tb.run([&] {
    const TopoNode& n = p.topology().nodes[p.topology().find("nic0")];
    const auto a = p.dma_api().attach({"nic0", n.requester_id, n.group, false});
    ASSERT_TRUE(a.status.ok()) << a.status.message;
    for (int i = 0; i < 3; ++i) huge.push_back(p.dma_api().map(a.handle, kBuffer, kHuge, true));
    digest_before = p.memory().store().digest();
    refused = p.dma_api().map(a.handle, kBuffer, kHuge, true);
    digest_after = p.memory().store().digest();
    small = p.dma_api().map(a.handle, kBuffer, 4096, true);
    p.host_bus().write64(kBuffer, kMarker);
    through_huge = tb.probe("nic0").issue({.address = huge[1].address, .pasid_present = false});
    through_small = tb.probe("nic0").issue({.address = small.address, .pasid_present = false});
  });
  ASSERT_EQ(huge.size(), 3u);
  std::set<std::uint64_t> slots;
  for (const auto& h : huge) {
    ASSERT_TRUE(h.status.ok()) << h.status.message;
    EXPECT_EQ(h.address % kHuge, 0u);
    EXPECT_NE(h.address, 0u);                  // the slot holding the interrupt window
    EXPECT_LE(h.address + kHuge, 1ull << 47);  // canonical
    slots.insert(h.address);
  }
  EXPECT_EQ(slots.size(), 3u);
  EXPECT_EQ(refused.status.code, ENOMEM) << refused.status.message;
  EXPECT_EQ(digest_after, digest_before);
  EXPECT_EQ(p.stats().counter_value("host.dma_api.map_failures"), 1u);
  ASSERT_TRUE(small.status.ok()) << small.status.message;
  EXPECT_EQ(small.address, 0xFFFFF000u);
  EXPECT_TRUE(through_huge.ok);
  EXPECT_EQ(first_word(through_huge), kMarker);
  EXPECT_TRUE(through_small.ok);
  EXPECT_EQ(first_word(through_small), kMarker);
}

struct FaultRegs {
  Platform& p;
  std::uint64_t frcd = 0;
  explicit FaultRegs(Platform& platform) : p(platform) {
    const auto cap = vtd::CapRegister::decode(p.host_bus().mmio_read(vtd::kRegCap, 8));
    frcd = static_cast<std::uint64_t>(cap.fro) * 16;
  }
  vtd::FaultRecord record(unsigned i) {
    auto& bus = p.host_bus();
    return vtd::FaultRecord::decode(
        {bus.mmio_read(frcd + 16 * i, 8), bus.mmio_read(frcd + 16 * i + 8, 8)});
  }
  void clear_record(unsigned i) { p.host_bus().mmio_write(frcd + 16 * i + 12, 4, 0x80000000u); }
  std::uint32_t fsts() {
    return static_cast<std::uint32_t>(p.host_bus().mmio_read(vtd::kRegFsts, 4));
  }
};

// Four fault records, six faults (VT-d spec 7.2.1, 11.4.9): the first four
// are recorded, the fifth sets FSTS.PFO, it and the sixth are lost. While
// PFO is set a fault is lost even though software freed the record the
// hardware writes next; once software clears PFO the next fault is
// recorded there, and the records hold the faults oldest first.
TEST(IdExhaustion, FaultRecordsOverflowAndStayLostUntilSoftwareClearsPfo) {
  PlatformConfig c = default_config_without_workloads();
  c.iommu.fault_records = 4;
  TestBench tb(c);
  auto& p = tb.platform();
  auto& s = p.stats();
  FaultRegs regs(p);
  const auto page = [](int i) { return 0x300000ull + 0x1000ull * i; };
  std::uint32_t fsts_full = 0, fsts_lost = 0, fsts_resumed = 0;
  vtd::FaultRecord freed, resumed;
  std::uint64_t lost_full = 0, lost_while_pfo = 0, lost_after = 0;
  std::vector<vtd::FaultRecord> drained;
  tb.run([&] {
    auto fault = [&](int i) { EXPECT_FALSE(tb.probe("nic0").issue({.address = page(i)}).ok); };
    for (int i = 0; i < 6; ++i) fault(i);
    fsts_full = regs.fsts();
    lost_full = s.counter_value("iommu.faults.overflow");
    regs.clear_record(0);  // the record the hardware writes next
    fault(6);
    fsts_lost = regs.fsts();
    freed = regs.record(0);
    lost_while_pfo = s.counter_value("iommu.faults.overflow");
    p.host_bus().mmio_write(vtd::kRegFsts, 4, vtd::kFstsPfo);
    fault(7);
    fsts_resumed = regs.fsts();
    resumed = regs.record(0);
    lost_after = s.counter_value("iommu.faults.overflow");
    drained = p.driver().drain_faults();
  });
  EXPECT_TRUE(fsts_full & vtd::kFstsPfo);
  EXPECT_EQ(lost_full, 2u);
  EXPECT_TRUE(fsts_lost & vtd::kFstsPfo);
  EXPECT_FALSE(freed.f) << "a fault was recorded while PFO was set";
  EXPECT_EQ(lost_while_pfo, 3u);
  EXPECT_FALSE(fsts_resumed & vtd::kFstsPfo);
  EXPECT_TRUE(fsts_resumed & vtd::kFstsPpf);
  EXPECT_EQ(vtd::fsts_fri(fsts_resumed), 1u);  // the oldest pending record
  EXPECT_TRUE(resumed.f);
  EXPECT_EQ(resumed.fi, page(7));
  EXPECT_EQ(lost_after, 3u);
  EXPECT_EQ(s.counter_value("iommu.faults.total"), 8u);
  EXPECT_EQ(s.counter_value("iommu.faults.recorded"), 5u);
  ASSERT_EQ(drained.size(), 4u);
  EXPECT_EQ(drained[0].fi, page(1));
  EXPECT_EQ(drained[1].fi, page(2));
  EXPECT_EQ(drained[2].fi, page(3));
  EXPECT_EQ(drained[3].fi, page(7));
}

// A driver that does not wait (host.bug) fills the 128-slot queue: each
// submission is a descriptor and its wait, 63 fill 126 slots, and the
// 64th would leave none empty (IQH = IQT means an empty queue, VT-d spec
// 6.5.2), so it is EBUSY with nothing posted. Once the IOMMU has executed
// them the queue takes submissions again, and it never saw an invalid
// descriptor.
TEST(IdExhaustion, AFullInvalidationQueueRefusesWithEbusyAndPostsNothing) {
  PlatformConfig c = default_config_without_workloads();
  c.host.bug = "no_wait_after_invalidation";
  c.iommu.descriptor_latency_ns = 10000;
  TestBench tb(c);
  tb.allow_violations();  // the bug's unmaps are not what this is about
  auto& p = tb.platform();
  int posted = 0;
  Status full, later;
  std::uint64_t iqt_before = 0, iqt_after = 0, digest_before = 0, digest_after = 0;
  tb.run([&] {
    auto& driver = p.driver();
    Status st;
    while ((st = driver.flush_range(1, 1, 0x100000, 4096)).ok()) ++posted;
    full = st;
    iqt_before = p.host_bus().mmio_read(vtd::kRegIqt, 8);
    digest_before = p.memory().store().digest();
    st = driver.flush_range(1, 1, 0x100000, 4096);
    iqt_after = p.host_bus().mmio_read(vtd::kRegIqt, 8);
    digest_after = p.memory().store().digest();
    EXPECT_EQ(st.code, EBUSY);
    sc_core::wait(2, sc_core::SC_MS);  // 126 descriptors of 10 us
    later = driver.flush_range(1, 1, 0x100000, 4096);
  });
  EXPECT_EQ(posted, 63);
  EXPECT_EQ(full.code, EBUSY) << full.message;
  EXPECT_EQ(iqt_after, iqt_before);
  EXPECT_EQ(digest_after, digest_before);
  EXPECT_TRUE(later.ok()) << later.message;
  EXPECT_EQ(p.stats().counter_value("iommu.qi.waits"), 64u);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.errors"), 0u);
}

}  // namespace
}  // namespace iommu_sim::test
