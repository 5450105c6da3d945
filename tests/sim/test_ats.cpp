// PCIe ATS and device TLBs: the device asks for a translation once and then
// sends translated requests the IOMMU does not translate; unmap invalidates
// the device TLB before its wait completes; a device whose context entry
// lacks DTE cannot send translated requests; a device that does not answer
// an invalidation in time stops the queue with FSTS.ITE (VT-d spec 4.2,
// 6.5.2.5/6.5.2.6, 6.5.2.10; PCIe Base spec 10).
#include <gtest/gtest.h>

#include <cstring>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_registers.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;

// nic0 with ATS and ssd without, both attached to as0 (PASID 1).
PlatformConfig ats_config() {
  PlatformConfig c = timing_config_without_workloads();
  c.pcie.endpoints = {{.name = "nic0"}, {.name = "ssd"}};
  c.pcie.endpoints[0].ats.enabled = true;
  c.attach = {{"nic0", 1, "as0"}, {"ssd", 1, "as0"}};
  return c;
}

std::uint64_t counter(TestBench& tb, const std::string& name) {
  return tb.platform().stats().counter_value(name);
}

TEST(Ats, OneTranslationRequestThenTranslatedRequestsThatSkipTheIotlb) {
  TestBench tb(ats_config());
  DmaResult first, second, plain_hit;
  std::uint64_t iotlb_lookups = 0;
  std::uint64_t marker = 0x0a75a75a75a75a7ull, read_back = 0;
  tb.run([&] {
    auto& m = tb.platform().manager();
    tb.platform().host_bus().write64(*m.physical(tb.platform().ioas("as0"), 0x100000), marker);
    first = tb.probe("nic0").issue({.address = 0x100000});
    iotlb_lookups = counter(tb, "iommu.iotlb.lookups");
    second = tb.probe("nic0").issue({.address = 0x100000});
    iotlb_lookups = counter(tb, "iommu.iotlb.lookups") - iotlb_lookups;
    tb.probe("ssd").issue({.address = 0x100000});
    plain_hit = tb.probe("ssd").issue({.address = 0x100000});
  });
  std::memcpy(&read_back, second.data.data(), 8);
  ASSERT_TRUE(first.ok);
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(read_back, marker);
  EXPECT_EQ(counter(tb, "pcie.nic0.ats.translation_requests"), 1u);
  EXPECT_EQ(counter(tb, "iommu.ats.translation_requests"), 1u);
  EXPECT_EQ(counter(tb, "iommu.ats.translated"), 2u);
  EXPECT_EQ(counter(tb, "pcie.nic0.atc.hits"), 1u);
  EXPECT_EQ(iotlb_lookups, 0u);  // a translated request is not translated again
  // A translated request costs what an IOTLB hit does (the context-entry
  // check takes the lookup time); the first paid a translation round trip
  // (two link crossings, the root complex and the IOMMU's walk) on top.
  EXPECT_EQ(second.latency, plain_hit.latency);
  EXPECT_GT(first.latency, second.latency + sc_core::sc_time(200, sc_core::SC_NS));
}

TEST(Ats, UnmapInvalidatesTheDeviceTlbBeforeItsWaitCompletes) {
  TestBench tb(ats_config());
  DmaResult before, after;
  Status unmapped;
  tb.run([&] {
    auto& m = tb.platform().manager();
    before = tb.probe("nic0").issue({.address = 0x100000, .write = true});
    unmapped = m.unmap(tb.platform().ioas("as0"), 0x100000, 1 << 20);
    after = tb.probe("nic0").issue({.address = 0x100000, .write = true});
  });
  EXPECT_TRUE(before.ok);
  ASSERT_TRUE(unmapped.ok()) << unmapped.message;
  EXPECT_FALSE(after.ok);
  EXPECT_EQ(after.completion, CompletionStatus::UnsupportedRequest);
  EXPECT_EQ(counter(tb, "iommu.qi.pasid_device_tlb"), 1u);
  EXPECT_EQ(counter(tb, "pcie.nic0.ats.invalidate_requests"), 1u);
  EXPECT_EQ(counter(tb, "pcie.nic0.atc.invalidations"), 1u);
  EXPECT_EQ(counter(tb, "pcie.nic0.ats.translation_failures"), 1u);  // the retry got R=W=0
  EXPECT_EQ(counter(tb, "iommu.faults.total"), 0u);  // a failed translation request is no fault
}

struct QueuedWritesRun {
  sc_core::sc_time last_write_done, unmap_returned;
  std::uint64_t invalidation_ns = 0;  // the device-TLB invalidation's round trip
};

// nic0 (ATS) has 20 translated 4 KiB writes to one page queued on one of
// four page-interleaved memory channels (the last finishes ~5 us later)
// when, 1 us in, the host unmaps the page. IOVA 0x103000 is frame
// 0x200003000, on channel 3; the root table, the invalidation queue and the
// status word (frames 0x100000000-0x100002000) are on channels 0-2.
QueuedWritesRun unmap_under_queued_writes(const std::string& device_bug) {
  PlatformConfig c = ats_config();
  c.memory.channels = 4;
  c.pcie.endpoints[0].ats.bug = device_bug;
  TestBench tb(c);
  tb.allow_violations();
  QueuedWritesRun out;
  tb.run([&] {
    // Fills the ATC with a writable entry (a read would ask with No Write).
    tb.probe("nic0").issue({.address = 0x103000, .write = true});
    spawn_page_writes(tb, "nic0", 0x103000, 20, out.last_write_done);
    sc_core::wait(1, sc_core::SC_US);
    const Status s = tb.platform().manager().unmap(tb.platform().ioas("as0"), 0x100000, 1 << 20);
    EXPECT_TRUE(s.ok()) << s.message;
    out.unmap_returned = sc_core::sc_time_stamp();
  });
  out.invalidation_ns =
      tb.platform().stats().find_histogram("iommu.ats.invalidation_time")->max() / 1000;
  return out;
}

TEST(Ats, TheDeviceCompletesAnInvalidationOnlyAfterItsEarlierTranslatedWritesFinished) {
  // PCIe Base spec 10.3.1: the Invalidate Completion follows every request
  // that may have used the invalidated entries.
  const QueuedWritesRun r = unmap_under_queued_writes("none");
  EXPECT_GT(r.unmap_returned, r.last_write_done);
  EXPECT_GT(r.invalidation_ns, 3000u);  // held for the queued writes
}

TEST(Ats, ADeviceThatCompletesAtOnceLetsTheHostReturnBeforeItsWritesFinished) {
  const QueuedWritesRun r = unmap_under_queued_writes("invalidation_completes_before_dmas");
  EXPECT_LT(r.unmap_returned, r.last_write_done);
  // Request 500 ns, device 100 ns, completion 500 ns.
  EXPECT_EQ(r.invalidation_ns, 1100u);
}

TEST(Ats, ATranslationCompletionCoversTheIommusLargePageAndOneAtcEntryHoldsIt) {
  // as0 maps 2 MiB at 0x200000 with one 2 MiB page: the IOMMU's
  // translation, and so the Translation Completion (PCIe Base spec 10.2.3,
  // S=1), covers all of it, and the device caches it as one entry.
  PlatformConfig c = ats_config();
  c.address_spaces[0].page_size = 2ull << 20;
  c.address_spaces[0].mappings = {{.iova = 0x200000, .size = 2ull << 20}};
  TestBench tb(c);
  auto& p = tb.platform();
  DmaResult first, far, after_flush;
  std::uint64_t landed = 0, expected_target = 0;
  std::uint64_t requests_after_two = 0, atc_invalidations = 0;
  Status flushed;
  tb.run([&] {
    auto& m = p.manager();
    first = tb.probe("nic0").issue({.address = 0x200000, .write = true});
    // 2 MiB - 4 KiB further: the same ATC entry, no Translation Request.
    far = tb.probe("nic0").issue({.address = 0x3ff000, .write = true, .fill = 0x5a});
    requests_after_two = counter(tb, "pcie.nic0.ats.translation_requests");
    expected_target = *m.physical(p.ioas("as0"), 0x3ff000);
    landed = p.host_bus().read64(expected_target);
    // Invalidating one 4 KiB page inside it removes the whole entry.
    flushed = p.driver().flush_device_tlb(p.endpoint("nic0").bdf(), 1, 0x201000, 0x1000);
    atc_invalidations = counter(tb, "pcie.nic0.atc.invalidations");
    after_flush = tb.probe("nic0").issue({.address = 0x300000});
  });
  EXPECT_TRUE(first.ok);
  EXPECT_TRUE(far.ok);
  EXPECT_EQ(requests_after_two, 1u);
  EXPECT_EQ(landed, 0x5a5a5a5a5a5a5a5aull);  // the write went to the right 4 KiB of the page
  ASSERT_TRUE(flushed.ok()) << flushed.message;
  EXPECT_EQ(atc_invalidations, 1u);
  EXPECT_TRUE(after_flush.ok);
  EXPECT_EQ(counter(tb, "pcie.nic0.ats.translation_requests"), 2u);
  EXPECT_EQ(counter(tb, "pcie.nic0.atc.hits"), 1u);
}

struct SharedUnmap {
  sc_core::sc_time took;
  std::uint64_t waits = 0, pasid_iotlb = 0, device_tlb = 0;
};

// as0 attached to nic0 and, with `both`, ssd too; both use ATS. The time
// one unmap of as0 takes, and the descriptors it posted.
SharedUnmap unmap_shared_domain(bool both) {
  PlatformConfig c = ats_config();
  c.pcie.endpoints[1].ats.enabled = true;
  if (!both) c.attach = {{"nic0", 1, "as0"}};
  TestBench tb(c);
  SharedUnmap out;
  Status s;
  tb.run([&] {
    tb.probe("nic0").issue({.address = 0x100000});
    if (both) tb.probe("ssd").issue({.address = 0x100000});
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    s = tb.platform().manager().unmap(tb.platform().ioas("as0"), 0x100000, 1 << 20);
    out.took = sc_core::sc_time_stamp() - start;
  });
  EXPECT_TRUE(s.ok()) << s.message;
  out.waits = counter(tb, "iommu.qi.waits");
  out.pasid_iotlb = counter(tb, "iommu.qi.pasid_iotlb");
  out.device_tlb = counter(tb, "iommu.qi.pasid_device_tlb");
  return out;
}

TEST(Ats, OneUnmapWaitsOnceAndTheDevicesInvalidationsOverlap) {
  // Linux batches a domain's flush (qi_batch): one PASID-based IOTLB
  // descriptor for the shared (DID, PASID), one device-TLB descriptor per
  // device, one wait; the engine does not wait for one device's answer
  // before asking the next (VT-d spec 6.5.2.8: only the wait waits).
  const SharedUnmap one = unmap_shared_domain(false);
  const SharedUnmap two = unmap_shared_domain(true);
  EXPECT_EQ(one.waits, 1u);
  EXPECT_EQ(two.waits, 1u);
  EXPECT_EQ(two.pasid_iotlb, one.pasid_iotlb);
  EXPECT_EQ(one.device_tlb, 1u);
  EXPECT_EQ(two.device_tlb, 2u);
  // The second device's round trip (500 + 100 + 500 ns) overlaps the
  // first's: the unmap is longer by one descriptor's fetch and execution,
  // not by a round trip.
  EXPECT_LT(two.took - one.took, sc_core::sc_time(200, sc_core::SC_NS));
  EXPECT_GT(one.took, sc_core::sc_time(1100, sc_core::SC_NS));
}

TEST(Ats, ATranslatedRequestFromADeviceWithoutDteIsBlocked) {
  TestBench tb(ats_config());
  DmaResult forged;
  std::uint64_t target = 0;
  tb.run([&] {
    auto& m = tb.platform().manager();
    target = *m.physical(tb.platform().ioas("as0"), 0x100000);
    // ssd has no ATS: its context entry has DTE=0. A translated request
    // naming a physical address directly must not reach memory.
    forged =
        tb.probe("ssd").issue({.address = target, .write = true, .at = AddressType::Translated});
  });
  EXPECT_FALSE(forged.ok);
  EXPECT_EQ(counter(tb, "iommu.ats.blocked"), 1u);
  EXPECT_EQ(counter(tb, "iommu.faults.reason.0x44"), 1u);
  EXPECT_EQ(counter(tb, "memory.writes"), 0u);
}

TEST(Ats, ADeviceThatAnswersTooLateStopsTheQueueWithIte) {
  PlatformConfig c = ats_config();
  c.pcie.endpoints[0].ats.invalidation_latency_ns = 5e6;  // 5 ms
  c.iommu.device_tlb_timeout_ns = 1e6;
  c.address_spaces.push_back({.name = "disk", .mappings = {{.iova = 0x100000, .size = 1 << 20}}});
  c.attach = {{"nic0", 1, "as0"}, {"ssd", 1, "disk"}};
  TestBench tb(c);
  Status late, after;
  std::uint32_t fsts_after = 0;
  tb.run([&] {
    auto& m = tb.platform().manager();
    tb.probe("nic0").issue({.address = 0x100000});
    late = m.unmap(tb.platform().ioas("as0"), 0x100000, 1 << 20);
    fsts_after = static_cast<std::uint32_t>(tb.platform().host_bus().mmio_read(vtd::kRegFsts, 4));
    // The driver cleared ITE: the queue runs again for other devices.
    after = m.unmap(tb.platform().ioas("disk"), 0x100000, 1 << 20);
  });
  EXPECT_EQ(late.code, EIO);
  EXPECT_NE(late.message.find("FSTS.ITE"), std::string::npos) << late.message;
  EXPECT_EQ(fsts_after & vtd::kFstsIte, 0u);
  EXPECT_EQ(counter(tb, "iommu.qi.device_tlb_timeouts"), 1u);
  EXPECT_TRUE(after.ok()) << after.message;
}

}  // namespace
}  // namespace iommu_sim::test
