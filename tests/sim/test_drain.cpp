// Memory channels and draining (VT-d spec 6.5.2.3 DR/DW): with more than
// one channel, requests to different channels finish out of order, so an
// invalidation's status write can overtake DMAs translated before it; an
// invalidation that drains completes only after those DMAs finished.
#include <gtest/gtest.h>

#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_registers.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;
using sc_core::SC_NS;
using sc_core::sc_time;

// 4 KiB at 16 GB/s occupies a channel for 256 ns.
const sc_time kPage4KiB(256, SC_NS);

// Two 4 KiB writes issued at the same instant to `a` and `b` (IOTLB warm):
// how much later the second finished than the first.
sc_time write_pair_skew(PlatformConfig c, std::uint64_t a, std::uint64_t b) {
  TestBench tb(std::move(c));
  sc_time done_a, done_b;
  tb.run([&] {
    auto& probe = tb.probe("nic0");
    probe.issue({.address = a});
    probe.issue({.address = b});
    sc_core::wait(1, sc_core::SC_US);
    sc_core::sc_event go;
    auto writer = [&](std::uint64_t address, sc_time& done) {
      return [&, address] {
        sc_core::wait(go);
        tb.probe("nic0").issue({.address = address, .write = true, .size = 4096});
        done = sc_core::sc_time_stamp();
      };
    };
    sc_core::sc_spawn(writer(a, done_a));
    sc_core::sc_spawn(writer(b, done_b));
    go.notify(sc_core::SC_ZERO_TIME);
    sc_core::wait(10, sc_core::SC_US);
  });
  return done_a > done_b ? done_a - done_b : done_b - done_a;
}

TEST(MemoryChannels, OneChannelQueuesWritesToAnyTwoPages) {
  PlatformConfig c = timing_config_without_workloads();
  EXPECT_EQ(write_pair_skew(c, 0x100000, 0x101000), kPage4KiB);
}

TEST(MemoryChannels, PageInterleavedChannelsServeNeighbouringPagesAtOnce) {
  PlatformConfig c = timing_config_without_workloads();
  c.memory.channels = 2;
  c.memory.interleave_bytes = 4096;
  // IOVA pages map to consecutive frames: 0x100000 and 0x101000 are on
  // different channels, 0x100000 and 0x102000 on the same one.
  EXPECT_EQ(write_pair_skew(c, 0x100000, 0x101000), sc_core::SC_ZERO_TIME);
  EXPECT_EQ(write_pair_skew(c, 0x100000, 0x102000), kPage4KiB);
}

TEST(MemoryChannels, ARequestSpanningBlocksSplitsAcrossChannels) {
  // 64-byte interleave over two channels: a 4 KiB write occupies each for
  // half the time, so it finishes 128 ns sooner than on one channel.
  auto one_write = [](std::uint32_t channels) {
    PlatformConfig c = timing_config_without_workloads();
    c.memory.channels = channels;
    c.memory.interleave_bytes = 64;
    TestBench tb(c);
    DmaResult r;
    tb.run([&] {
      tb.probe("nic0").issue({.address = 0x100000});
      r = tb.probe("nic0").issue({.address = 0x100000, .write = true, .size = 4096});
    });
    return r.latency;
  };
  EXPECT_EQ(one_write(1) - one_write(2), sc_time(128, SC_NS));
}

struct DrainRun {
  sc_time last_write_done;  // when the last DMA write became visible
  sc_time wait_returned;    // when the host saw the invalidation complete
  std::uint64_t drains = 0;
  double drained_ns = 0;
};

// 20 writers keep 4 KiB writes to one page queued on one of two channels
// (the last finishes ~5 us later); 1 us in, the host submits `descriptor`
// and a wait, whose status write goes to the other channel.
DrainRun drain_run(const vtd::Descriptor& descriptor, const std::string& bug = "none") {
  PlatformConfig c = timing_config_without_workloads();
  c.memory.channels = 2;
  c.iommu.bug = bug;
  TestBench tb(c);
  tb.allow_violations();
  auto& p = tb.platform();
  DrainRun out;
  Status st;
  tb.run([&] {
    tb.probe("nic0").issue({.address = 0x100000});
    spawn_page_writes(tb, "nic0", 0x100000, 20, out.last_write_done);
    sc_core::wait(1, sc_core::SC_US);
    const std::array<vtd::Descriptor, 1> descs{descriptor};
    st = p.driver().submit_and_wait(descs);
    out.wait_returned = sc_core::sc_time_stamp();
  });
  EXPECT_TRUE(st.ok()) << st.message;
  const Histogram* drained = p.stats().find_histogram("iommu.qi.drain_time");
  out.drains = drained->count();
  out.drained_ns = static_cast<double>(drained->max()) / 1000.0;
  return out;
}

vtd::Descriptor global_iotlb(bool dr, bool dw) {
  vtd::IotlbInvDesc d{};
  d.granularity = vtd::IotlbGranularity::Global;
  d.dr = dr;
  d.dw = dw;
  return d.encode();
}

TEST(Drain, IotlbWithoutDrainCompletesWhileEarlierWritesAreQueued) {
  const DrainRun r = drain_run(global_iotlb(false, false));
  EXPECT_LT(r.wait_returned, r.last_write_done);
  EXPECT_EQ(r.drains, 0u);
}

TEST(Drain, DrainWritesHoldsTheInvalidationUntilEveryEarlierWriteIsVisible) {
  const DrainRun r = drain_run(global_iotlb(false, true));
  EXPECT_GT(r.wait_returned, r.last_write_done);
  EXPECT_EQ(r.drains, 1u);
  // It waited from its execution (just after 1 us) to the last write,
  // about 20 x 256 ns after the first started.
  EXPECT_GT(r.drained_ns, 3500.0);
  EXPECT_LT(r.drained_ns, 5200.0);
}

TEST(Drain, DrainReadsAloneDoesNotWaitForWrites) {
  const DrainRun r = drain_run(global_iotlb(true, false));
  EXPECT_LT(r.wait_returned, r.last_write_done);
  EXPECT_EQ(r.drains, 1u);
  EXPECT_EQ(r.drained_ns, 0.0);  // the reads had all finished
}

TEST(Drain, PasidBasedIotlbAlwaysDrains) {
  vtd::PasidIotlbInvDesc d{};
  d.granularity = vtd::PasidIotlbGranularity::Pasid;
  d.pasid = 1;
  d.did = 1;
  const DrainRun r = drain_run(d.encode());
  EXPECT_GT(r.wait_returned, r.last_write_done);
  EXPECT_EQ(r.drains, 1u);
}

TEST(Drain, TheWaitBeforeDrainBugIgnoresDrainWrites) {
  const DrainRun r = drain_run(global_iotlb(true, true), "wait_completes_before_drain");
  EXPECT_LT(r.wait_returned, r.last_write_done);
  EXPECT_EQ(r.drains, 0u);
}

TEST(Drain, TheIommuReportsDrainSupportAndTheDriverAsksForIt) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  const auto cap = vtd::CapRegister::decode(p.host_bus().mmio_read(vtd::kRegCap, 8));
  EXPECT_TRUE(cap.drd);
  EXPECT_TRUE(cap.dwd);
  // A second-level IOAS is flushed with IOTLB descriptors: the driver sets
  // DR and DW in them (Linux qi_flush_iotlb), so they drain.
  PlatformConfig c = default_config_without_workloads();
  c.address_spaces[0].translation = "second_level";
  TestBench sl(c);
  Status st;
  sl.run([&] {
    sl.probe("nic0").issue({.address = 0x100000});
    st = sl.platform().manager().unmap(sl.platform().ioas("as0"), 0x100000, 1ull << 20);
  });
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(sl.platform().stats().counter_value("iommu.qi.iotlb"), 1u);
  EXPECT_EQ(sl.platform().stats().find_histogram("iommu.qi.drain_time")->count(), 1u);
}

}  // namespace
}  // namespace iommu_sim::test
