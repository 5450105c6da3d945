// The host's DMA API for kernel-owned devices: CPU time of map and unmap
// computed by hand from host.cpu.*, the invalidation-queue lock between
// CPUs, lazy flush queues (full ring, timeout), identity mode, and the
// oracle's view of lazy mode's window.
#include <gtest/gtest.h>

#include "model/host/spin_lock.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using test::TestBench;

constexpr std::uint64_t kBuffer = 0x300000000ull;  // a kernel page, physical

// nic0 owned by the kernel (nothing in attach[]), `cpus` CPUs, `mode`.
PlatformConfig kernel_owned(const std::string& mode, unsigned cpus = 1) {
  PlatformConfig c = test::default_config_without_workloads();
  c.attach.clear();
  c.host.dma_api = mode;
  c.host.cpus = cpus;
  return c;
}

int attach_nic(Platform& p) {
  const TopoNode& n = p.topology().nodes[p.topology().find("nic0")];
  const auto a = p.dma_api().attach({"nic0", n.requester_id, n.group, false});
  EXPECT_TRUE(a.status.ok()) << a.status.message;
  return a.handle;
}

std::uint64_t busy_ns(Platform& p, unsigned cpu, CpuWork work) {
  return p.cpus().cpu(cpu).busy_ps(work) / 1000;
}

test::DmaRequest no_pasid(std::uint64_t address) {
  return {.address = address, .pasid_present = false};
}

TEST(DmaApi, AMapCostsTheSumOfItsStepsOnTheCallingCpu) {
  TestBench tb(kernel_owned("strict"));
  auto& p = tb.platform();
  DmaApi::Mapped m;
  tb.run([&] {
    const int nic = attach_nic(p);
    m = p.dma_api().map(nic, kBuffer + 0x40, 64, true);
  });
  ASSERT_TRUE(m.status.ok()) << m.status.message;
  // The top page below 4 GiB, with the buffer's offset.
  EXPECT_EQ(m.address, 0xFFFFF040u);
  const HostCpuParams k;
  // map_call, then the first PTE of an empty 4-level table: three table
  // pages and four entries (three table pointers and the leaf).
  EXPECT_EQ(busy_ns(p, 0, CpuWork::Map), k.map_call_ns + 4 * k.pte_write_ns + 3 * k.table_alloc_ns);
  // Empty magazines (one look, one look in the empty depot), then the tree.
  EXPECT_EQ(busy_ns(p, 0, CpuWork::Iova), k.iova_rcache_ns + k.iova_depot_ns + k.iova_tree_ns);
  const Histogram* t = p.stats().find_histogram("host.dma_api.map_time");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->max(), 1580'000u);  // 1270 + 310 ns, in ps
}

TEST(DmaApi, ALargeAlignedBufferIsMappedWithTwoMibPages) {
  TestBench tb(kernel_owned("strict"));
  auto& p = tb.platform();
  DmaApi::Mapped m;
  test::DmaResult r;
  tb.run([&] {
    const int nic = attach_nic(p);
    m = p.dma_api().map(nic, kBuffer, 4ull << 20, true);  // 2 MiB-aligned, 4 MiB
    r = tb.probe("nic0").issue(
        {.address = m.address + 0x200040, .write = true, .pasid_present = false});
  });
  // 1024 pages: the IOVA is aligned to 4 MiB, the highest such below 4 GiB.
  EXPECT_EQ(m.address, 0xFFC00000u);
  EXPECT_TRUE(r.ok);
  // Two 2 MiB leaves under a new PDPT and PD: two table pages, four entries.
  const HostCpuParams k;
  EXPECT_EQ(busy_ns(p, 0, CpuWork::Map), k.map_call_ns + 4 * k.pte_write_ns + 2 * k.table_alloc_ns);
  std::array<std::uint8_t, 1> byte{};
  p.memory().store().read(kBuffer + 0x200040, byte);
  EXPECT_EQ(byte[0], 0xab);  // the probe's fill, where the second page maps it
}

TEST(DmaApi, AStrictUnmapInvalidatesWaitsAndPutsTheIovaInTheCpusMagazine) {
  TestBench tb(kernel_owned("strict"));
  auto& p = tb.platform();
  Status st;
  DmaApi::Mapped again;
  test::DmaResult before, after;
  tb.run([&] {
    const int nic = attach_nic(p);
    const auto m = p.dma_api().map(nic, kBuffer, 4096, true);
    before = tb.probe("nic0").issue(no_pasid(m.address));
    st = p.dma_api().unmap(nic, m.address, 4096);
    after = tb.probe("nic0").issue(no_pasid(m.address));
    again = p.dma_api().map(nic, kBuffer + 0x1000, 4096, true);
  });
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_TRUE(before.ok);
  EXPECT_FALSE(after.ok);  // strict: the translation is gone when unmap returns
  EXPECT_EQ(p.stats().counter_value("iommu.faults.reason.0x71"), 1u);
  const HostCpuParams k;
  // unmap_call plus one cleared leaf.
  EXPECT_EQ(busy_ns(p, 0, CpuWork::Unmap), k.unmap_call_ns + k.pte_write_ns);
  // A PASID-based IOTLB descriptor and a wait descriptor, then the tail
  // register write (iommu.register_latency_ns).
  EXPECT_EQ(busy_ns(p, 0, CpuWork::InvSubmit),
            2 * k.descriptor_write_ns + p.config().iommu.register_latency_ns);
  EXPECT_GT(busy_ns(p, 0, CpuWork::InvWait), 0u);
  // The freed IOVA came back from the magazine for the next map.
  EXPECT_EQ(again.address, 0xFFFFF000u);
  EXPECT_EQ(p.stats().counter_value("host.iova.rcache_hits"), 1u);
  EXPECT_EQ(p.oracle().lazy_window_uses(), 0u);
}

TEST(DmaApi, TheSecondCpuAtASpinLockWaitsExactlyTheFirstsHoldTimeAndATransfer) {
  TestBench tb(kernel_owned("strict", 2));
  auto& p = tb.platform();
  LockStats stats;
  SpinLock lock(60.0, stats);
  tb.run([&] {
    for (unsigned cpu = 0; cpu < 2; ++cpu) {
      sc_core::sc_spawn([&p, &lock, cpu] {
        p.cpus().pin_current(cpu);
        HostCpu& me = p.cpus().cpu(cpu);
        const HostCpu::Run run(me);
        const SpinLock::Guard guard(lock, me);
        sc_core::wait(sc_time(500, SC_NS));
      });
    }
  });
  EXPECT_EQ(stats.acquisitions, 2u);
  EXPECT_EQ(stats.contended, 1u);
  EXPECT_EQ(stats.wait.count_of(0), 1u);
  EXPECT_EQ(stats.wait.count_of(560'000), 1u);
  EXPECT_EQ(busy_ns(p, 1, CpuWork::LockWait), 560u);
  EXPECT_EQ(busy_ns(p, 0, CpuWork::LockWait), 0u);
}

TEST(DmaApi, TwoCpusInvalidatingAtOnceQueueForTheInvalidationQueueLock) {
  TestBench tb(kernel_owned("strict", 2));
  auto& p = tb.platform();
  tb.run([&] {
    for (unsigned cpu = 0; cpu < 2; ++cpu) {
      sc_core::sc_spawn([&p, cpu] {
        p.cpus().pin_current(cpu);
        ASSERT_TRUE(p.driver().flush_range(1, 0, 0x1000 * (cpu + 1), 0x1000).ok());
      });
    }
  });
  const HostCpuParams k;
  const double reg = p.config().iommu.register_latency_ns;
  // The first CPU holds the lock to write two descriptors and the tail and
  // to read FSTS once before it relaxes; the second waits that, plus the
  // lock's cache line coming over.
  const auto first_hold = static_cast<std::uint64_t>(2 * k.descriptor_write_ns + 2 * reg);
  const Histogram* w = p.stats().find_histogram("host.iq.lock_wait");
  ASSERT_NE(w, nullptr);
  EXPECT_GE(p.stats().counter_value("host.iq.contended"), 1u);
  EXPECT_EQ(w->count_of((first_hold + static_cast<std::uint64_t>(k.lock_transfer_ns)) * 1000), 1u);
  EXPECT_GT(busy_ns(p, 1, CpuWork::LockWait), 0u);
  EXPECT_EQ(p.driver().waits_completed(), 2u);
}

TEST(DmaApi, LazyUnmapsAreFlushedWhenACpusRingIsFullAndTheRestByTheTimer) {
  PlatformConfig c = kernel_owned("lazy");
  c.host.flush_queue_size = 4;  // three unmaps fit, the fourth flushes
  TestBench tb(c);
  auto& p = tb.platform();
  std::uint64_t full = 0, released = 0;
  DmaApi::Mapped reused;
  std::vector<std::uint64_t> iovas;
  tb.run([&] {
    const int nic = attach_nic(p);
    for (int i = 0; i < 4; ++i)
      iovas.push_back(p.dma_api().map(nic, kBuffer + 0x1000 * i, 4096, true).address);
    for (const std::uint64_t a : iovas) ASSERT_TRUE(p.dma_api().unmap(nic, a, 4096).ok());
    full = p.stats().counter_value("host.fq.full_flushes");
    released = p.stats().counter_value("host.fq.released");
    reused = p.dma_api().map(nic, kBuffer, 4096, true);
  });
  EXPECT_EQ(full, 1u);
  EXPECT_EQ(released, 3u);
  // Released in queue order into CPU 0's magazine: the third comes back first.
  EXPECT_EQ(reused.address, iovas[2]);
  // The timer flushed the fourth at the end.
  EXPECT_EQ(p.stats().counter_value("host.fq.timeout_flushes"), 1u);
  EXPECT_EQ(p.stats().counter_value("host.fq.flushes"), 2u);
  EXPECT_EQ(p.stats().counter_value("host.fq.released"), 4u);
}

TEST(DmaApi, ALazyUnmapIsFlushedExactlyTheTimeoutAfterItWasQueued) {
  TestBench tb(kernel_owned("lazy"));
  auto& p = tb.platform();
  std::uint64_t before_timeout = 0, after_timeout = 0;
  DmaApi::Mapped early, late;
  tb.run([&] {
    const int nic = attach_nic(p);
    const auto m = p.dma_api().map(nic, kBuffer, 4096, true);
    const sc_time start = sc_core::sc_time_stamp();
    ASSERT_TRUE(p.dma_api().unmap(nic, m.address, 4096).ok());
    // Queued (and the timer armed) after unmap_call, one PTE clear and the
    // flush-queue add.
    const HostCpuParams k;
    const sc_time armed = start + sc_time(k.unmap_call_ns + k.pte_write_ns + k.fq_add_ns, SC_NS);
    EXPECT_EQ(sc_core::sc_time_stamp(), armed);
    early = p.dma_api().map(nic, kBuffer, 4096, true);  // the IOVA is not back yet
    sc_core::wait(armed + sc_time(p.config().host.flush_timeout_ns, SC_NS) -
                  sc_core::sc_time_stamp() - sc_time(1, SC_NS));
    before_timeout = p.stats().counter_value("host.fq.timeout_flushes");
    sc_core::wait(sc_time(2, SC_NS));
    after_timeout = p.stats().counter_value("host.fq.timeout_flushes");
    sc_core::wait(sc_time(100, sc_core::SC_US));
    late = p.dma_api().map(nic, kBuffer + 0x1000, 4096, true);
  });
  EXPECT_EQ(before_timeout, 0u);
  EXPECT_EQ(after_timeout, 1u);
  EXPECT_EQ(early.address, 0xFFFFE000u);
  EXPECT_EQ(late.address, 0xFFFFF000u);  // released by the timer into CPU 0's magazine
}

TEST(DmaApi, IdentityModeHandsOutPhysicalAddressesAndNeverWalks) {
  TestBench tb(kernel_owned("identity"));
  auto& p = tb.platform();
  DmaApi::Mapped m;
  test::DmaResult r;
  tb.run([&] {
    const int nic = attach_nic(p);
    m = p.dma_api().map(nic, kBuffer, 4096, true);
    r = tb.probe("nic0").issue({.address = kBuffer, .write = true, .pasid_present = false});
  });
  EXPECT_EQ(m.address, kBuffer);
  EXPECT_TRUE(r.ok);
  // The pass-through PASID entry is found (root, context, PASID directory
  // and table entries) and no paging entry is read.
  EXPECT_EQ(p.stats().counter_value("iommu.walk.count"), 0u);
  EXPECT_EQ(p.stats().counter_value("iommu.walk.memory_reads"), 4u);
  EXPECT_EQ(p.cpus().cpu(0).busy_ps(), 0u);
}

TEST(DmaApi, TheOracleCountsADmaInLazyModesWindowAndNoViolation) {
  TestBench tb(kernel_owned("lazy"));
  auto& p = tb.platform();
  test::DmaResult in_window, after_flush;
  tb.run([&] {
    const int nic = attach_nic(p);
    const auto m = p.dma_api().map(nic, kBuffer, 4096, true);
    ASSERT_TRUE(tb.probe("nic0").issue(no_pasid(m.address)).ok);  // fills the IOTLB
    ASSERT_TRUE(p.dma_api().unmap(nic, m.address, 4096).ok());
    in_window = tb.probe("nic0").issue(no_pasid(m.address));
    sc_core::wait(sc_time(p.config().host.flush_timeout_ns + 1e5, SC_NS));
    after_flush = tb.probe("nic0").issue(no_pasid(m.address));
  });
  EXPECT_TRUE(in_window.ok);
  EXPECT_FALSE(after_flush.ok);
  EXPECT_EQ(p.oracle().lazy_window_uses(), 1u);
  ASSERT_EQ(p.oracle().lazy_listed().size(), 1u);
  EXPECT_EQ(p.oracle().lazy_listed()[0].kind, "lazy_window_use");
  EXPECT_EQ(p.oracle().lazy_listed()[0].request.iova, 0xFFFFF000u);
  EXPECT_EQ(p.oracle().violations(), 0u);
}

}  // namespace
}  // namespace iommu_sim
