// The device DMA engine as pcie-bench drives it (Neugebauer et al., SIGCOMM
// 2018): latency mode (one DMA at a time), bandwidth mode (one per tag),
// the host offset, warm and cold host caches, the throughput statistics,
// and DMA with remapping off (intel_iommu=off).
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "apps/sweep.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

// The timing platform with one workload of nic0: sequential 64-byte reads
// inside one 4 KiB page, so that after the first DMA every translation hits
// the IOTLB and every DMA has the same unloaded latency.
PlatformConfig one_page_config(const std::string& mode, std::uint64_t count) {
  PlatformConfig c = timing_config_without_workloads();
  c.workloads = {{.name = "dma",
                  .device = "nic0",
                  .pattern = "sequential",
                  .base = 0x100000,
                  .span = 4096,
                  .count = count,
                  .size = 64,
                  .mode = mode}};
  return c;
}

std::unique_ptr<Platform> run(const PlatformConfig& c) {
  start_fresh_kernel();
  auto p = std::make_unique<Platform>(c);
  p->run();
  EXPECT_EQ(p->oracle().violations(), 0u);
  return p;
}

double stat(Platform& p, const std::string& name) {
  return p.stats_json().at("stats").at(name).get<double>();
}

const Histogram& latency(Platform& p) {
  return *p.stats().find_histogram("workload.dma.latency");
}

TEST(DmaEngine, LatencyModeRunsOneDmaAtATime) {
  auto p = run(one_page_config("latency", 1000));
  ASSERT_EQ(p->workload(0).slots(), 1u);
  const Histogram& h = latency(*p);
  ASSERT_EQ(h.count(), 1000u);
  // The first DMA walks; the other 999 hit the IOTLB and take the same
  // time. One at a time: they follow each other without overlap, so the
  // run lasts exactly the sum of their latencies.
  EXPECT_EQ(h.count_of(h.min()), 999u);
  EXPECT_EQ(sc_core::sc_time_stamp().value(), h.sum());
  EXPECT_DOUBLE_EQ(stat(*p, "workload.dma.active_ns"), static_cast<double>(h.sum()) / 1000);
  // Four slots overlap their DMAs: the same 1000 take less than the sum.
  PlatformConfig four = one_page_config("slots", 1000);
  four.workloads[0].outstanding = 4;
  auto q = run(four);
  EXPECT_LT(sc_core::sc_time_stamp().value(), latency(*q).sum() / 2);
}

TEST(DmaEngine, BandwidthModeKeepsOneDmaPerTagInFlight) {
  // Unloaded, one IOTLB-hitting 64-byte read takes L, measured in latency
  // mode on the same platform: links 2 x 100 ns, root complex 20 ns,
  // lookup 3 ns, memory 80 ns + 64 B / 16 GB/s = 84 ns: L = 307 ns (more
  // if the links also serialise the TLPs: 321.375 ns with Gen3 x8). Four
  // tags keep four in flight; memory (4 ns per read) and the links are far
  // from busy, so after the first walk four DMAs complete every L:
  // throughput = 4 x 64 B x 8 / L = 2048 bit / 307 ns = 6.67 Gb/s, and
  // 4 / L = 13.03 M DMAs/s.
  PlatformConfig c = one_page_config("latency", 200);
  c.pcie.endpoints[0].tags = 4;
  auto p = run(c);
  const double unloaded_ns = static_cast<double>(latency(*p).min()) / 1000;
  EXPECT_GE(unloaded_ns, 307.0);  // what no link transfer time can shorten

  c.workloads[0].mode = "bandwidth";
  c.workloads[0].count = 40000;
  auto q = run(c);
  ASSERT_EQ(q->workload(0).slots(), 4u);
  const double expected_gbps = 4 * 64 * 8 / unloaded_ns;
  EXPECT_NEAR(stat(*q, "workload.dma.throughput_gbps"), expected_gbps, 0.01 * expected_gbps);
  EXPECT_NEAR(stat(*q, "workload.dma.dma_rate_mps"), 4 * 1000 / unloaded_ns,
              0.01 * 4 * 1000 / unloaded_ns);
}

TEST(DmaEngine, ThroughputIsPayloadBitsOverFirstIssueToLastCompletion) {
  // Latency mode, 100 reads, 50 ns apart, starting at 1 us: the workload is
  // active from 1 us to the end of its last DMA, i.e. the 100 latencies and
  // the 99 gaps between them (the gap after the last one is idle, as is
  // the time before the start).
  PlatformConfig c = one_page_config("latency", 100);
  c.workloads[0].start_ns = 1000;
  c.workloads[0].gap_ns = 50;
  auto p = run(c);
  const double active_ns = static_cast<double>(latency(*p).sum()) / 1000 + 99 * 50;
  EXPECT_DOUBLE_EQ(stat(*p, "workload.dma.active_ns"), active_ns);
  EXPECT_EQ(p->stats().counter_value("workload.dma.bytes"), 100u * 64);
  EXPECT_NEAR(stat(*p, "workload.dma.throughput_gbps"), 100 * 64 * 8 / active_ns, 1e-9);
  EXPECT_NEAR(stat(*p, "workload.dma.dma_rate_mps"), 100 * 1000 / active_ns, 1e-9);
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(1000 + active_ns, SC_NS) + sc_time(50, SC_NS));
}

TEST(DmaEngine, FaultedDmasMoveNoBytes) {
  // 1 MiB mapped at 0x100000; the second half of a 2 MiB window faults.
  PlatformConfig c = timing_config_without_workloads();
  c.workloads = {{.name = "dma", .device = "nic0", .span = 2u << 20, .count = 2000}};
  auto p = run(c);
  const auto completed = p->stats().counter_value("workload.dma.completed");
  ASSERT_GT(p->stats().counter_value("workload.dma.faulted"), 0u);
  EXPECT_EQ(p->stats().counter_value("workload.dma.bytes"), completed * 64);
}

TEST(DmaEngine, FunctionalModeMeasuresActiveTimeOnTheSlotsLocalClock) {
  // Functional mode: no waits, every DMA its unloaded latency, run on the
  // slot's quantum keeper: active time is the sum of the latencies.
  PlatformConfig c = one_page_config("latency", 500);
  c.mode = "functional";
  auto p = run(c);
  EXPECT_DOUBLE_EQ(stat(*p, "workload.dma.active_ns"),
                   static_cast<double>(latency(*p).sum()) / 1000);
}

TEST(DmaEngine, OffsetPlacesEveryDmaInsideItsPage) {
  // Sequential 64-byte writes at offset 100 over two pages: 62 per page
  // (floor(3996 / 64)) at page + 100 + k x 64. Each write fills its bytes
  // with the low byte of its address, so memory shows where they went.
  PlatformConfig c = one_page_config("slots", 124);
  c.workloads[0].span = 8192;
  c.workloads[0].write_fraction = 1.0;
  c.workloads[0].offset = 100;
  auto p = run(c);
  EXPECT_EQ(p->stats().counter_value("workload.dma.completed"), 124u);
  EXPECT_EQ(p->stats().counter_value("iommu.malformed"), 0u);
  for (std::uint64_t page : {0x100000ull, 0x101000ull}) {
    const std::uint64_t physical = *p->manager().physical(p->ioas("as0"), page);
    std::vector<std::uint8_t> bytes(4096);
    p->memory().store().read(physical, bytes);
    for (std::uint64_t at = 0; at < 4096; ++at) {
      const bool written = at >= 100 && at < 100 + 62 * 64;
      const std::uint8_t expected =
          written ? static_cast<std::uint8_t>(page + 100 + (at - 100) / 64 * 64) : 0;
      ASSERT_EQ(bytes[at], expected) << "page " << std::hex << page << " byte " << at;
    }
  }
}

TEST(DmaEngine, WarmReadSkipsDramLatencyAndChannel) {
  // One 64-byte read, cold then warm. Warm, the data comes from the LLC in
  // llc_latency_ns (30) instead of memory latency (80) plus the channel's
  // 64 B / 16 GB/s = 4 ns: 54 ns less. The walk reads are unaffected.
  PlatformConfig c = one_page_config("latency", 1);
  c.memory.llc_latency_ns = 30;
  auto cold = run(c);
  const std::uint64_t cold_ps = latency(*cold).max();
  EXPECT_EQ(cold->stats().counter_value("memory.llc_hits"), 0u);
  const std::uint64_t cold_reads = cold->stats().counter_value("memory.reads");

  c.workloads[0].host_cache = "warm";
  auto warm = run(c);
  EXPECT_EQ(latency(*warm).max(), cold_ps - (sc_time(50, SC_NS) + sc_time(4, SC_NS)).value());
  EXPECT_EQ(warm->stats().counter_value("memory.llc_hits"), 1u);
  EXPECT_EQ(warm->stats().counter_value("memory.reads"), cold_reads);
}

TEST(DmaEngine, WindowLargerThanTheLlcIsOnlyPartlyWarm) {
  // 1 MiB window, 256 KiB LLC: the last quarter of the window is resident,
  // so a quarter of uniformly random reads hit.
  PlatformConfig c = timing_config_without_workloads();
  c.memory.llc_bytes = 256 << 10;
  c.workloads = {{.name = "dma", .device = "nic0", .count = 20000, .host_cache = "warm"}};
  auto p = run(c);
  const double hits = static_cast<double>(p->stats().counter_value("memory.llc_hits"));
  EXPECT_NEAR(hits / 20000, 0.25, 0.01);
}

TEST(DmaEngine, WarmResidencyFollowsTheMappingToPhysicalMemory) {
  // A mapping whose pages are not where the IOVA says: only the physical
  // pages behind the window are resident, so an access at the IOVA's own
  // number (not mapped to anything the workload uses) is not.
  PlatformConfig c = one_page_config("latency", 10);
  c.workloads[0].host_cache = "warm";
  auto p = run(c);
  EXPECT_EQ(p->stats().counter_value("memory.llc_hits"), 10u);
  const std::uint64_t physical = *p->manager().physical(p->ioas("as0"), 0x100000);
  ASSERT_NE(physical, 0x100000u);
  EXPECT_TRUE(p->memory().llc_resident(physical, 4096));
  EXPECT_FALSE(p->memory().llc_resident(physical + 4096, 64));
  EXPECT_FALSE(p->memory().llc_resident(0x100000, 64));
}

TEST(DmaEngine, WithRemappingOffDmaGoesUntranslatedToTheAddressSent) {
  PlatformConfig c = one_page_config("latency", 1000);
  c.host.dma_remapping = "off";
  c.workloads[0].write_fraction = 1.0;
  c.workloads[0].host_cache = "warm";  // the physical address is the IOVA
  auto p = run(c);
  auto& s = p->stats();
  EXPECT_EQ(s.counter_value("iommu.untranslated"), 1000u);
  EXPECT_EQ(s.counter_value("iommu.iotlb.hits") + s.counter_value("iommu.iotlb.misses"), 0u);
  EXPECT_EQ(s.counter_value("iommu.walk.memory_reads"), 0u);
  EXPECT_EQ(s.counter_value("workload.dma.completed"), 1000u);
  EXPECT_EQ(s.counter_value("memory.llc_hits"), 1000u);
  std::vector<std::uint8_t> byte(1);
  p->memory().store().read(0x100040, byte);
  EXPECT_EQ(byte[0], 0x40);  // written at the address the device sent
}

TEST(DmaEngine, ThroughputWorksAsASweepColumn) {
  SweepSpec spec;
  const nlohmann::json file = {
      {"config", {{"workloads", {{{"device", "nic0"}, {"count", 500}, {"mode", "latency"}}}}}},
      {"sweep", {{"workloads[0].size", {64, 256}}}},
      {"stats", {"workload.wl0.throughput_gbps", "workload.wl0.bytes"}}};
  ASSERT_TRUE(parse_sweep(file, ".", spec).empty());
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  ASSERT_TRUE(check_sweep_stats(spec, points[0].config).empty());
  const std::string csv = run_sweep(spec, points, {});
  // Rows: point, size, throughput, bytes (500 DMAs of 64 and of 256 bytes).
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "point,workloads[0].size,workload.wl0.throughput_gbps,workload.wl0.bytes");
  std::vector<double> gbps;
  for (const char* bytes : {"32000", "128000"}) {
    std::string point, size, throughput, moved;
    std::getline(lines, point, ',');
    std::getline(lines, size, ',');
    std::getline(lines, throughput, ',');
    std::getline(lines, moved);
    EXPECT_EQ(moved, bytes);
    gbps.push_back(std::stod(throughput));
  }
  const double gbps64 = gbps[0], gbps256 = gbps[1];
  // One at a time, a 256-byte read carries 4 x the payload in a little
  // more time than a 64-byte one.
  EXPECT_GT(gbps64, 0);
  EXPECT_GT(gbps256, 2 * gbps64);
}

}  // namespace
}  // namespace iommu_sim::test
