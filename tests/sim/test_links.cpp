// PCIe links that carry bytes (pcie/link.h): an unloaded TLP pays its
// serialisation once per link and direction, a busy link queues TLPs and
// saturates at its TLP rate, and a switch uplink is shared by the devices
// below it. Rates and sizes are worked out here by hand: Gen3 x8 at MPS 256
// leaves 8 GT/s x 128/130 x 8 lanes x (1 - 16/203 - 4/1538) = 57.8848 Gb/s
// for TLPs (tests/unit/test_tlp_wire.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

const double kGen3x8Gbps = 8.0 * 128 / 130 * 8 * (1 - 16.0 / 203 - 4.0 / 1538);

// Time `bytes` hold a Gen3 x8 link, rounded up to a picosecond.
sc_time wire_time(std::uint64_t bytes) {
  return sc_time::from_value(static_cast<sc_dt::uint64>(
      std::ceil(static_cast<double>(bytes) * 8000 / kGen3x8Gbps - 1e-9)));
}

PlatformConfig with_links(PlatformConfig c) {
  c.pcie.link_model = "bandwidth";
  return c;
}

TEST(Links, AnUnloadedReadPaysItsRequestAndCompletionOnTheWireOnce) {
  DmaResult bare, wired;
  {
    TestBench tb(timing_config_without_workloads());
    tb.run([&] { bare = tb.probe("nic0").issue({.address = 0x100040}); });
  }
  TestBench tb(with_links(timing_config_without_workloads()));
  tb.run([&] { wired = tb.probe("nic0").issue({.address = 0x100040}); });
  ASSERT_TRUE(bare.ok && wired.ok);
  // A 64 B read: MRd of 8 + 12 bytes up, CplD of 8 + 12 + 64 down.
  EXPECT_EQ(wired.latency - bare.latency, wire_time(20) + wire_time(84));
  auto& s = tb.platform().stats();
  EXPECT_EQ(s.counter_value("pcie.link.nic0.up.tlps"), 1u);
  EXPECT_EQ(s.counter_value("pcie.link.nic0.up.bytes"), 20u);
  EXPECT_EQ(s.counter_value("pcie.link.nic0.down.tlps"), 1u);
  EXPECT_EQ(s.counter_value("pcie.link.nic0.down.bytes"), 84u);
}

// `count` DMAs of `size` bytes from one device, `slots` at a time,
// sequential over 256 KiB (64 pages: every translation hits after the first
// pass).
WorkloadParams stream(const std::string& device, std::uint32_t size, bool write,
                      std::uint32_t slots, std::uint64_t count) {
  return WorkloadParams{.name = device + "_stream",
                        .device = device,
                        .pattern = "sequential",
                        .base = 0x100000,
                        .span = 256 << 10,
                        .count = count,
                        .size = size,
                        .write_fraction = write ? 1.0 : 0.0,
                        .outstanding = slots};
}

std::unique_ptr<Platform> run(const PlatformConfig& c) {
  start_fresh_kernel();
  auto p = std::make_unique<Platform>(c);
  p->run();
  return p;
}

// Payload Gb/s over the whole simulated run.
double gbps(std::uint64_t payload_bytes) {
  return static_cast<double>(payload_bytes) * 8 / (sc_core::sc_time_stamp().to_seconds() * 1e9);
}

TEST(Links, WritesSaturateAGen3x8LinkAtItsTlpRate) {
  // 256 B writes at MPS 256: one MWr of 276 bytes each, so the payload
  // rate is 57.8848 x 256 / 276 = 53.69 Gb/s once 64 writes in flight
  // offer far more.
  PlatformConfig c = with_links(PlatformConfig{});
  const std::uint64_t n = 20000;
  c.workloads = {stream("nic0", 256, true, 64, n)};
  const auto p = run(c);
  EXPECT_NEAR(gbps(n * 256), kGen3x8Gbps * 256 / 276, 0.005 * kGen3x8Gbps);
  EXPECT_EQ(p->stats().counter_value("pcie.link.nic0.up.bytes"), n * 276);
  EXPECT_EQ(p->stats().counter_value("pcie.link.nic0.up.tlps"), n);
  EXPECT_EQ(p->stats().counter_value("pcie.link.nic0.down.tlps"), 0u);
}

TEST(Links, ReadCompletionsSaturateTheDownDirection) {
  // 256 B reads at RCB 64: four CplD, 4 x 20 + 256 = 336 bytes per read:
  // 57.8848 x 256 / 336 = 44.10 Gb/s. 64 tags keep enough reads in flight.
  PlatformConfig c = with_links(PlatformConfig{});
  c.pcie.endpoints[0].tags = 64;
  const std::uint64_t n = 20000;
  c.workloads = {stream("nic0", 256, false, 64, n)};
  const auto p = run(c);
  EXPECT_NEAR(gbps(n * 256), kGen3x8Gbps * 256 / 336, 0.005 * kGen3x8Gbps);
  EXPECT_EQ(p->stats().counter_value("pcie.link.nic0.down.bytes"), n * 336);
  EXPECT_EQ(p->stats().counter_value("pcie.link.nic0.up.bytes"), n * 20);
}

TEST(Links, TagsBoundTheReadsInFlight) {
  // 64 slots but 8 tags: the reads queue for tags, not on the link.
  PlatformConfig c = with_links(PlatformConfig{});
  c.pcie.endpoints[0].tags = 8;
  c.workloads = {stream("nic0", 64, false, 64, 2000)};
  const auto p = run(c);
  EXPECT_GT(p->stats().counter_value("pcie.nic0.tag_waits"), 1900u);
}

TEST(Links, TwoDevicesBehindOneSwitchShareItsUplink) {
  // Each device's own link could carry 53.69 Gb/s of 256 B writes; the
  // switch's one uplink carries both streams, so together they get 53.69.
  PlatformConfig c = with_links(PlatformConfig{});
  place_behind_switch(c, "sv,rr,cr,uf", "sv,rr,cr,uf");
  c.attach.push_back({"gpu", 1, "as0"});
  const std::uint64_t n = 10000;
  c.workloads = {stream("gpu", 256, true, 64, n), stream("nic", 256, true, 64, n)};
  const auto p = run(c);
  EXPECT_NEAR(gbps(2 * n * 256), kGen3x8Gbps * 256 / 276, 0.005 * kGen3x8Gbps);
  auto& s = p->stats();
  EXPECT_EQ(s.counter_value("pcie.link.sw.up.bytes"), 2 * n * 276);
  EXPECT_EQ(s.counter_value("pcie.link.gpu.up.bytes"), n * 276);
  EXPECT_EQ(s.counter_value("pcie.link.nic.up.bytes"), n * 276);
  // Each device link is busy about half the time, the uplink all of it.
  const auto json = p->stats_json()["stats"];
  EXPECT_GT(json["pcie.link.sw.up.utilisation"].get<double>(), 0.99);
  EXPECT_NEAR(json["pcie.link.gpu.up.utilisation"].get<double>(), 0.5, 0.02);
  EXPECT_NEAR(json["pcie.link.nic.up.utilisation"].get<double>(), 0.5, 0.02);
}

TEST(Links, ANarrowerUplinkIsTheBottleneck) {
  // The same two devices below a Gen3 x4 uplink: half the rate (the x4
  // interval at MPS 256 is 214 symbols, not 203).
  PlatformConfig c = with_links(PlatformConfig{});
  c.pcie.ports = {{.name = "rp0"},
                  {.name = "sw", .kind = "switch_upstream", .parent = "rp0"},
                  {.name = "d0", .kind = "downstream_port", .parent = "sw"}};
  c.pcie.ports[1].link.width = 4;
  c.pcie.endpoints = {{.name = "nic0", .parent = "d0"}};
  const std::uint64_t n = 10000;
  c.workloads = {stream("nic0", 256, true, 64, n)};
  const double x4 = 8.0 * 128 / 130 * 4 * (1 - 16.0 / 214 - 4.0 / 1538);
  const auto p = run(c);
  EXPECT_NEAR(gbps(n * 256), x4 * 256 / 276, 0.005 * x4);
}

}  // namespace
}  // namespace iommu_sim::test
