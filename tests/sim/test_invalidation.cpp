// Queued invalidation through the ring in memory (VT-d spec 6.5.2): a
// descriptor removes exactly the entries it names; strict unmap returns only
// after the wait descriptor's status write, and the next DMA faults.
#include <gtest/gtest.h>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_registers.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;
using sc_core::sc_time;

TEST(Invalidation, PageSelectiveDescriptorRemovesOnlyTheNamedPage) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  DmaResult a_again, b_again;
  Status st;
  std::uint64_t invalidated = 0;
  tb.run([&] {
    auto& probe = tb.probe("nic0");
    probe.issue({.address = 0x100000});  // page A
    probe.issue({.address = 0x101000});  // page B
    vtd::PasidIotlbInvDesc d{};
    d.granularity = vtd::PasidIotlbGranularity::Page;
    d.did = p.manager().domain_id(p.ioas("as0"));
    d.pasid = 1;
    d.addr = 0x100000;
    d.am = 0;
    const std::array<std::array<std::uint64_t, 2>, 1> descs{d.encode()};
    st = p.driver().submit_and_wait(descs);
    invalidated = p.stats().counter_value("iommu.iotlb.invalidations");
    a_again = probe.issue({.address = 0x100000});
    b_again = probe.issue({.address = 0x101000});
  });
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(invalidated, 1u);
  // B still hits: its latency is the hit path. A walks again (4 PTE reads).
  EXPECT_LT(b_again.latency, a_again.latency);
  EXPECT_EQ(p.stats().counter_value("iommu.iotlb.hits"), 1u);
  EXPECT_EQ(p.stats().counter_value("iommu.walk.count"), 3u);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.waits"), 1u);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.pasid_iotlb"), 1u);
}

TEST(Invalidation, WaitsWriteTheirStatusInOrderAndIfSetsIcsIwc) {
  // VT-d spec 6.5.2.8: a wait descriptor completes after every descriptor
  // before it; SW writes its status data, IF sets ICS.IWC (RW1C).
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  Status st;
  std::uint32_t first = 0, second = 0, ics = 0, ics_cleared = 0;
  std::uint64_t invalidations_at_first = 0;
  const std::uint64_t status = 0x180000000ull;  // a scratch dword in host memory
  tb.run([&] {
    tb.probe("nic0").issue({.address = 0x100000});
    vtd::PasidIotlbInvDesc inv{};
    inv.granularity = vtd::PasidIotlbGranularity::Pasid;
    inv.did = p.manager().domain_id(p.ioas("as0"));
    inv.pasid = 1;
    vtd::InvWaitDesc w1{};
    w1.sw = true;
    w1.status_addr = status;
    w1.status_data = 0x1111;
    vtd::InvWaitDesc w2 = w1;
    w2.status_addr = status + 4;
    w2.status_data = 0x2222;
    w2.iflag = true;
    w2.fn = true;
    const std::array<std::array<std::uint64_t, 2>, 3> descs{inv.encode(), w1.encode(), w2.encode()};
    st = p.driver().submit_and_wait(descs);
    first = p.host_bus().read32(status);
    second = p.host_bus().read32(status + 4);
    invalidations_at_first = p.stats().counter_value("iommu.iotlb.invalidations");
    ics = static_cast<std::uint32_t>(p.host_bus().mmio_read(vtd::kRegIcs, 4));
    p.host_bus().mmio_write(vtd::kRegIcs, 4, vtd::kIcsIwc);
    ics_cleared = static_cast<std::uint32_t>(p.host_bus().mmio_read(vtd::kRegIcs, 4));
  });
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(first, 0x1111u);
  EXPECT_EQ(second, 0x2222u);
  EXPECT_EQ(invalidations_at_first, 1u);  // the descriptor before them ran
  EXPECT_EQ(ics & vtd::kIcsIwc, vtd::kIcsIwc);
  EXPECT_EQ(ics_cleared & vtd::kIcsIwc, 0u);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.waits"), 3u);  // two here, the driver's own
}

TEST(Invalidation, PasidWideAndDomainWideDescriptorsRemoveOnlyTheirEntries) {
  // nic0 PASID 1 -> as0 (domain A), nic0 PASID 2 -> as1 (domain B), two
  // pages each in the IOTLB.
  PlatformConfig c = default_config_without_workloads();
  c.address_spaces.push_back({.name = "as1", .mappings = {MappingParams{}}});
  c.attach.push_back({"nic0", 2, "as1"});
  TestBench tb(c);
  auto& p = tb.platform();
  std::uint64_t after_pasid = 0, after_domain = 0, hits_before = 0, hits_after = 0;
  tb.run([&] {
    auto& probe = tb.probe("nic0");
    for (std::uint32_t pasid : {1u, 2u}) {
      probe.issue({.address = 0x100000, .pasid = pasid});
      probe.issue({.address = 0x101000, .pasid = pasid});
    }
    const auto did_a = p.manager().domain_id(p.ioas("as0"));
    const auto did_b = p.manager().domain_id(p.ioas("as1"));
    ASSERT_NE(did_a, did_b);
    vtd::PasidIotlbInvDesc pasid_wide{};
    pasid_wide.granularity = vtd::PasidIotlbGranularity::Pasid;
    pasid_wide.did = did_a;
    pasid_wide.pasid = 1;
    const std::array<std::array<std::uint64_t, 2>, 1> d1{pasid_wide.encode()};
    ASSERT_TRUE(p.driver().submit_and_wait(d1).ok());
    after_pasid = p.stats().counter_value("iommu.iotlb.invalidations");
    // PASID 2's entries survived: both hit.
    hits_before = p.stats().counter_value("iommu.iotlb.hits");
    probe.issue({.address = 0x100000, .pasid = 2});
    probe.issue({.address = 0x101000, .pasid = 2});
    hits_after = p.stats().counter_value("iommu.iotlb.hits");
    vtd::IotlbInvDesc domain_wide{};
    domain_wide.granularity = vtd::IotlbGranularity::Domain;
    domain_wide.did = did_b;
    const std::array<std::array<std::uint64_t, 2>, 1> d2{domain_wide.encode()};
    ASSERT_TRUE(p.driver().submit_and_wait(d2).ok());
    after_domain = p.stats().counter_value("iommu.iotlb.invalidations");
  });
  EXPECT_EQ(after_pasid, 2u);
  EXPECT_EQ(hits_after - hits_before, 2u);
  EXPECT_EQ(after_domain, 4u);
  EXPECT_EQ(p.iommu().translator().iotlb().occupancy(), 0u);
}

TEST(Invalidation, StrictUnmapThenDmaFaults) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  DmaResult before, after;
  Status st;
  std::uint64_t unmapped = 0;
  sc_time unmap_returned;
  tb.run([&] {
    before = tb.probe("nic0").issue({.address = 0x100000});  // fills the IOTLB
    st = p.manager().unmap(p.ioas("as0"), 0x100000, 1 << 20, &unmapped);
    unmap_returned = sc_core::sc_time_stamp();
    after = tb.probe("nic0").issue({.address = 0x100000});
  });
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_TRUE(before.ok);
  EXPECT_EQ(unmapped, 1u << 20);
  EXPECT_FALSE(after.ok);
  EXPECT_EQ(after.completion, CompletionStatus::UnsupportedRequest);
  EXPECT_EQ(p.stats().counter_value("iommu.faults.reason.0x71"), 1u);
  // The unmap took simulated time: descriptors fetched and executed, the
  // status written, the driver's poll seeing it.
  EXPECT_GT(unmap_returned, before.latency);
  EXPECT_EQ(p.driver().waits_completed(), 1u);
}

TEST(Invalidation, UnknownDescriptorTypeStopsTheQueueWithIqeAndTheDriverRecovers) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  Status bad_status, next;
  std::uint32_t fsts_after = 0;
  tb.run([&] {
    const std::array<std::array<std::uint64_t, 2>, 1> bad{{{0xf, 0}}};  // type 15
    bad_status = p.driver().submit_and_wait(bad);
    fsts_after = static_cast<std::uint32_t>(p.host_bus().mmio_read(vtd::kRegFsts, 4));
    // The queue goes on: a good submission after it completes.
    vtd::PasidIotlbInvDesc inv{};
    inv.granularity = vtd::PasidIotlbGranularity::Pasid;
    inv.did = 1;
    inv.pasid = 1;
    const std::array<std::array<std::uint64_t, 2>, 1> good{inv.encode()};
    next = p.driver().submit_and_wait(good);
  });
  // The hardware stopped at the bad descriptor (FSTS.IQE, VT-d spec
  // 6.5.2.10); the driver put its wait there and cleared IQE (Linux
  // qi_check_fault), and says which descriptor was refused.
  EXPECT_EQ(bad_status.code, EINVAL);
  EXPECT_NE(bad_status.message.find("descriptor 0xf at IQH 0x0"), std::string::npos)
      << bad_status.message;
  EXPECT_EQ(p.stats().counter_value("iommu.qi.errors"), 1u);
  EXPECT_EQ(fsts_after & vtd::kFstsIqe, 0u);
  ASSERT_TRUE(next.ok()) << next.message;
  // Executed: the wait in the bad slot, the original wait, then the good
  // submission's two descriptors; IQH is past all four slots.
  EXPECT_EQ(p.stats().counter_value("iommu.qi.waits"), 3u);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.pasid_iotlb"), 1u);
  EXPECT_EQ(p.host_bus().mmio_read(vtd::kRegIqh, 8), 4u * 32);
}

TEST(Invalidation, AnAddressMaskBeyondMamvIsAnInvalidDescriptor) {
  // AM above CAP.MAMV (18) asked for a shift by 12 + AM bits, up to 75:
  // undefined behaviour. Such a descriptor now stops the queue with
  // FSTS.IQE, as in QEMU. Found by fuzz_invalidation (docs/fuzzing.md).
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  Status iotlb, pasid_iotlb, largest;
  tb.run([&] {
    vtd::IotlbInvDesc d{};
    d.granularity = vtd::IotlbGranularity::Page;
    d.did = 1;
    d.am = 19;
    const std::array<vtd::Descriptor, 1> too_wide{d.encode()};
    iotlb = p.driver().submit_and_wait(too_wide);
    vtd::PasidIotlbInvDesc pd{};
    pd.granularity = vtd::PasidIotlbGranularity::Page;
    pd.did = 1;
    pd.pasid = 1;
    pd.am = 63;
    const std::array<vtd::Descriptor, 1> widest{pd.encode()};
    pasid_iotlb = p.driver().submit_and_wait(widest);
    pd.am = 18;
    const std::array<vtd::Descriptor, 1> mamv{pd.encode()};
    largest = p.driver().submit_and_wait(mamv);
  });
  // The driver names the refused descriptor by its first qword.
  EXPECT_EQ(iotlb.code, EINVAL);
  EXPECT_NE(iotlb.message.find("descriptor 0x10032 at IQH"), std::string::npos) << iotlb.message;
  EXPECT_EQ(pasid_iotlb.code, EINVAL);
  EXPECT_NE(pasid_iotlb.message.find("descriptor 0x100010036 at IQH"), std::string::npos)
      << pasid_iotlb.message;
  EXPECT_TRUE(largest.ok()) << largest.message;
  EXPECT_EQ(p.stats().counter_value("iommu.qi.errors"), 2u);
}

TEST(Invalidation, ATailBeyondTheQueueIsAQueueError) {
  // VT-d spec 10.4.22: IQT must lie inside the queue IQA.QS sizes (4 KiB
  // here); QEMU's vtd_fetch_inv_desc reports IQE for one that does not.
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  std::uint32_t fsts = 0;
  tb.run([&] {
    p.host_bus().mmio_write(vtd::kRegIqt, 8, 0x2000);
    sc_core::wait(1, sc_core::SC_US);
    fsts = static_cast<std::uint32_t>(p.host_bus().mmio_read(vtd::kRegFsts, 4));
  });
  EXPECT_TRUE(fsts & vtd::kFstsIqe);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.errors"), 1u);
  EXPECT_EQ(p.stats().counter_value("iommu.qi.descriptors"), 0u);  // nothing fetched
  EXPECT_EQ(p.host_bus().mmio_read(vtd::kRegIqh, 8), 0u);
}

TEST(Invalidation, EnablingTheQueueWithDescriptorsPostedFetchesThem) {
  // Software is to set IQT to 0 before it enables the queue; one that
  // enables it with descriptors already below IQT has them fetched at once,
  // as QEMU does, not left in the queue unfetched and with no error until
  // IQT next moves. Found by fuzz_invalidation (docs/fuzzing.md).
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  const std::uint64_t queue = 0x180000000ull;  // a scratch page in host memory
  const std::uint64_t status = queue + 0x800;
  std::uint64_t head = 0, iotlb_before = 0, iotlb_after = 0;
  std::uint32_t written = 0, fsts = 0;
  tb.run([&] {
    auto& bus = p.host_bus();
    vtd::InvWaitDesc wait{};
    wait.sw = true;
    wait.status_addr = status;
    wait.status_data = 0x5a5a;
    const std::array<vtd::Descriptor, 2> descs{
        vtd::IotlbInvDesc{.granularity = vtd::IotlbGranularity::Global}.encode(), wait.encode()};
    for (std::size_t i = 0; i < descs.size(); ++i) {
      bus.write64(queue + 16 * i, descs[i][0]);
      bus.write64(queue + 16 * i + 8, descs[i][1]);
    }
    iotlb_before = p.stats().counter_value("iommu.qi.iotlb");
    bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe);                  // queue off, translation on
    bus.mmio_write(vtd::kRegIqa, 8, queue);                          // 4 KiB of 128-bit descriptors
    bus.mmio_write(vtd::kRegIqt, 8, 32);                             // posted while off
    bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe | vtd::kGcmdQie);  // on: IQH = 0
    sc_core::wait(10, sc_core::SC_US);
    head = bus.mmio_read(vtd::kRegIqh, 8);
    written = bus.read32(status);
    fsts = static_cast<std::uint32_t>(bus.mmio_read(vtd::kRegFsts, 4));
    iotlb_after = p.stats().counter_value("iommu.qi.iotlb");
  });
  EXPECT_EQ(head, 32u);
  EXPECT_EQ(written, 0x5a5au);
  EXPECT_EQ(fsts & (vtd::kFstsIqe | vtd::kFstsIte), 0u);
  EXPECT_EQ(iotlb_after - iotlb_before, 1u);
}

TEST(Invalidation, AHeadBetweenTwoWideDescriptorsIsAQueueError) {
  // Software switches the enabled queue to 256-bit descriptors (IQA.DW)
  // with IQH at 16, between two of them. Fetching from there, the head
  // stepped 32 bytes at a time and never met a tail on a descriptor: the
  // engine ran forever over a ring of valid descriptors. Nothing is
  // fetched; FSTS.IQE. Found by fuzz_invalidation (docs/fuzzing.md).
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  const std::uint64_t queue = 0x180000000ull;  // a scratch page in host memory
  std::uint64_t head = 0, executed_before = 0, executed_after = 0;
  std::uint32_t fsts = 0;
  tb.run([&] {
    auto& bus = p.host_bus();
    const vtd::Descriptor iec{vtd::kDescIec, 0};
    for (std::uint64_t at : {0, 16, 48}) bus.write64(queue + at, iec[0]);
    bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe);  // queue off
    bus.mmio_write(vtd::kRegIqt, 8, 0);
    bus.mmio_write(vtd::kRegIqa, 8, queue);  // 128-bit descriptors
    bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe | vtd::kGcmdQie);
    bus.mmio_write(vtd::kRegIqt, 8, 16);
    sc_core::wait(10, sc_core::SC_US);
    executed_before = p.stats().counter_value("iommu.qi.descriptors");
    bus.mmio_write(vtd::kRegIqa, 8, queue | vtd::kIqaDw256);
    bus.mmio_write(vtd::kRegIqt, 8, 0);
    sc_core::wait(10, sc_core::SC_US);
    executed_after = p.stats().counter_value("iommu.qi.descriptors");
    head = bus.mmio_read(vtd::kRegIqh, 8);
    fsts = static_cast<std::uint32_t>(bus.mmio_read(vtd::kRegFsts, 4));
  });
  EXPECT_EQ(head, 16u);
  EXPECT_EQ(executed_after, executed_before);
  EXPECT_TRUE(fsts & vtd::kFstsIqe);
}

TEST(Invalidation, AFullQueueIsRefusedWithEbusyAndNothingPosted) {
  // A driver that does not wait fills the 4 KiB queue (128 slots of 32
  // bytes, 2 per submission) long before the engine, 1 ms per descriptor,
  // has executed one: the 64th submission would leave no free slot and is
  // refused before anything is written.
  PlatformConfig c = default_config_without_workloads();
  c.host.bug = "no_wait_after_invalidation";
  c.iommu.descriptor_latency_ns = 1e6;
  TestBench tb(c);
  auto& p = tb.platform();
  int accepted = 0;
  Status refused;
  std::uint64_t tail_before = 0, tail_after = 0, digest_before = 0, digest_after = 0;
  tb.run([&] {
    vtd::PasidIotlbInvDesc inv{};
    inv.granularity = vtd::PasidIotlbGranularity::Pasid;
    inv.did = 1;
    inv.pasid = 1;
    const std::array<std::array<std::uint64_t, 2>, 1> descs{inv.encode()};
    for (;;) {
      tail_before = p.host_bus().mmio_read(vtd::kRegIqt, 8);
      digest_before = p.memory().store().digest();
      refused = p.driver().submit_and_wait(descs);
      if (!refused.ok()) break;
      ++accepted;
    }
    tail_after = p.host_bus().mmio_read(vtd::kRegIqt, 8);
    digest_after = p.memory().store().digest();
  });
  EXPECT_EQ(accepted, 63);
  EXPECT_EQ(refused.code, EBUSY);
  EXPECT_EQ(refused.message, "invalidation queue full");
  EXPECT_EQ(tail_after, tail_before);
  EXPECT_EQ(digest_after, digest_before);
  // The engine then executed everything that was posted.
  EXPECT_EQ(p.stats().counter_value("iommu.qi.descriptors"), 2u * 63);
}

}  // namespace
}  // namespace iommu_sim::test
