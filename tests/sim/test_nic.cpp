// The NIC device model and its driver against hand-built expectations:
// descriptors and their DD bits in the rings, the ring indices of both
// sides, the tail values the NIC saw, drops when the ring runs dry,
// interrupt moderation, the oracle over a whole run, and bad inputs.
#include <gtest/gtest.h>

#include "model/kernel.h"
#include "tests/support/config_errors.h"
#include "tests/support/dma_probe.h"
#include "workloads/devices/nic_format.h"

namespace iommu_sim {
namespace {

PlatformConfig nic_config(const std::string& mode, std::uint32_t depth, std::uint64_t count) {
  PlatformConfig c = test::default_config_without_workloads();
  c.attach.clear();
  c.address_spaces.clear();
  c.host.dma_api = mode;
  c.devices = {DeviceModelParams{.name = "eth",
                                 .type = "nic",
                                 .device = "nic0",
                                 .queues = 1,
                                 .queue_depth = depth,
                                 .count = count}};
  return c;
}

struct NicRun {
  std::unique_ptr<Platform> p;
  explicit NicRun(const PlatformConfig& c) {
    start_fresh_kernel();
    p = std::make_unique<Platform>(c);
  }
  NicRun& run() {
    p->run();
    return *this;
  }
  std::uint64_t stat(const std::string& name) const { return p->stats().counter_value(name); }
  nic::Descriptor rx(std::uint32_t slot) const {
    std::array<std::uint8_t, nic::kDescBytes> raw{};
    p->memory().store().read(p->nic_driver(0).rings(0).rx_ring + slot * nic::kDescBytes, raw);
    return nic::Descriptor::decode_rx(raw);
  }
  nic::Descriptor tx(std::uint32_t slot) const {
    std::array<std::uint8_t, nic::kDescBytes> raw{};
    p->memory().store().read(p->nic_driver(0).rings(0).tx_ring + slot * nic::kDescBytes, raw);
    return nic::Descriptor::decode_tx(raw);
  }
};

TEST(Nic, ThreePacketsInARingOfFourAreWrittenBackThenCleanedAndRefilled) {
  // 1500-byte packets at 10 Gb/s arrive 1.216 us apart; four per
  // interrupt, so the three wait for the 8 us delay.
  PlatformConfig c = nic_config("identity", 4, 3);
  c.devices[0].completions_per_interrupt = 4;
  NicRun r(c);
  sc_core::sc_start(sc_core::sc_time(6, sc_core::SC_US));
  // Identity: the buffers are physical, a page each after the two rings.
  const std::uint64_t buffers = r.p->nic_driver(0).rings(0).rx_ring + 2 * 4096;
  for (std::uint32_t slot = 0; slot < 3; ++slot) {
    SCOPED_TRACE(slot);
    const nic::Descriptor d = r.rx(slot);
    EXPECT_EQ(d.address, buffers + slot * 4096);
    EXPECT_EQ(d.length, 1500u);
    EXPECT_EQ(d.status, nic::kRxStatusDd | nic::kRxStatusEop);
    EXPECT_EQ(d.errors, 0u);
  }
  EXPECT_EQ(r.rx(3).address, 0u);  // a full ring keeps one slot empty
  auto q = r.p->nic_controller(0).queue_state(0);
  EXPECT_EQ(q.rx_head, 3u);
  EXPECT_EQ(q.rx_tail, 3u);
  EXPECT_EQ(q.interrupts, 0u);
  EXPECT_EQ(r.p->nic_driver(0).rings(0).rx_next_to_clean, 0u);

  r.run();
  // Cleaned 0..2, refilled 3, 0, 1; slot 2 cleared and not given again.
  const auto rings = r.p->nic_driver(0).rings(0);
  EXPECT_EQ(rings.rx_next_to_clean, 3u);
  EXPECT_EQ(rings.rx_next_to_use, 2u);
  for (const std::uint32_t slot : {3u, 0u, 1u}) {
    SCOPED_TRACE(slot);
    EXPECT_EQ(r.rx(slot).address, buffers + slot * 4096);
    EXPECT_EQ(r.rx(slot).status, 0u);
  }
  EXPECT_EQ(r.rx(2).address, 0u);
  EXPECT_EQ(r.rx(2).status, 0u);
  q = r.p->nic_controller(0).queue_state(0);
  EXPECT_EQ(q.rx_head, 3u);
  EXPECT_EQ(q.rx_tail, 2u);  // the one tail write of the one interrupt
  EXPECT_EQ(q.interrupts, 1u);
  EXPECT_EQ(r.stat("devices.eth.rx_packets"), 3u);
  EXPECT_EQ(r.stat("devices.eth.rx_bytes"), 3u * 1500);
  EXPECT_EQ(r.stat("devices.eth.q0.rx_packets"), 3u);
  EXPECT_EQ(r.stat("devices.eth.interrupts"), 1u);
  EXPECT_EQ(r.stat("devices.eth.rx_dropped"), 0u);
}

TEST(Nic, PacketsBeyondTheRingAreDroppedWhenTheyArriveFasterThanTheDriverRefills) {
  // 64-byte packets at 100 Gb/s: twenty within 128 ns, long before the
  // first interrupt; the ring gives three descriptors.
  PlatformConfig c = nic_config("identity", 4, 20);
  c.devices[0].packet_size = 64;
  c.devices[0].offered_gbps = 100;
  NicRun r(c);
  r.run();
  EXPECT_EQ(r.stat("devices.eth.rx_arrived"), 20u);
  EXPECT_EQ(r.stat("devices.eth.rx_packets"), 3u);
  EXPECT_EQ(r.stat("devices.eth.rx_dropped"), 17u);
}

TEST(Nic, SixteenPacketsAtFourCompletionsPerInterruptTakeFourInterrupts) {
  PlatformConfig c = nic_config("identity", 32, 16);
  c.devices[0].completions_per_interrupt = 4;
  NicRun r(c);
  r.run();
  EXPECT_EQ(r.stat("devices.eth.rx_packets"), 16u);
  EXPECT_EQ(r.stat("devices.eth.interrupts"), 4u);
  EXPECT_EQ(r.p->nic_controller(0).queue_state(0).interrupts, 4u);
  // Each interrupt refilled four slots and wrote the tail: 31 + 16.
  EXPECT_EQ(r.p->nic_controller(0).queue_state(0).rx_tail, (31u + 16) % 32);
}

TEST(Nic, SentPacketsAreFetchedWrittenBackAndReaped) {
  PlatformConfig c = nic_config("strict", 8, 5);
  c.devices[0].tx_gbps = 1;
  NicRun r(c);
  r.run();
  const auto q = r.p->nic_controller(0).queue_state(0);
  EXPECT_EQ(q.tx_tail, 5u);
  EXPECT_EQ(q.tx_head, 5u);
  EXPECT_EQ(q.tx_packets, 5u);
  EXPECT_EQ(r.p->nic_driver(0).rings(0).tx_next_to_clean, 5u);
  const nic::Descriptor d = r.tx(4);
  EXPECT_EQ(d.length, 1500u);
  EXPECT_EQ(d.cmd, nic::kTxCmdEop | nic::kTxCmdIfcs | nic::kTxCmdRs);
  EXPECT_EQ(d.status, nic::kTxStatusDd);
  EXPECT_EQ(r.stat("devices.eth.tx_packets"), 5u);
  EXPECT_EQ(r.stat("devices.eth.tx_bytes"), 5u * 1500);
  // Two rings (coherent), seven receive buffers and five refills, five sent.
  EXPECT_EQ(r.stat("host.dma_api.maps"), 2u + 7 + 5 + 5);
  EXPECT_EQ(r.stat("host.dma_api.unmaps"), 5u + 5);
}

TEST(Nic, TheOracleSeesNoViolationInStrictOrLazyModeOverAWholeRun) {
  for (const std::string mode : {"strict", "lazy"}) {
    SCOPED_TRACE(mode);
    PlatformConfig c = nic_config(mode, 64, 150);
    c.host.cpus = 2;
    c.devices[0].queues = 2;
    c.devices[0].tx_gbps = 2;
    NicRun r(c);
    r.run();
    EXPECT_EQ(r.stat("devices.eth.rx_packets") + r.stat("devices.eth.rx_dropped"), 300u);
    EXPECT_EQ(r.stat("devices.eth.tx_packets"), 300u);
    EXPECT_EQ(r.stat("devices.eth.dma_errors"), 0u);
    EXPECT_EQ(r.p->oracle().violations(), 0u);
    EXPECT_EQ(r.p->oracle().lazy_window_uses(), 0u);
    EXPECT_GT(r.stat("oracle.checked"), 600u);
  }
}

TEST(Nic, BadNicModelsAreRefusedWithTheFieldAndTheReason) {
  PlatformConfig idle = nic_config("strict", 64, 1);
  idle.devices[0].offered_gbps = 0;
  EXPECT_TRUE(test::has_error(validate(idle), "devices[0].offered_gbps", "above 0"));
  PlatformConfig jumbo = nic_config("strict", 64, 1);
  jumbo.devices[0].packet_size = 9001;
  EXPECT_TRUE(test::has_error(validate(jumbo), "devices[0].packet_size", "outside 64 to 9000"));
  // A ring deeper than the function's 32 read tags is fine for a NIC.
  EXPECT_TRUE(validate(nic_config("strict", 64, 1)).empty());
  for (const int size : {0, 9001}) {
    nlohmann::json j = {
        {"devices",
         {{{"name", "eth"}, {"type", "nic"}, {"device", "nic0"}, {"packet_size", size}}}}};
    PlatformConfig out;
    EXPECT_TRUE(test::has_error(load_config(j, out), "devices[0].packet_size", "")) << size;
  }
}

}  // namespace
}  // namespace iommu_sim
