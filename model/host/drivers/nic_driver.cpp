#include "model/host/drivers/nic_driver.h"

#include <algorithm>
#include <array>

#include "workloads/devices/nic_format.h"

namespace iommu_sim {

namespace {

constexpr std::uint64_t kPage = 4096;
// Preamble, start delimiter and inter-frame gap per packet (IEEE 802.3).
constexpr double kWireOverheadBytes = 20.0;

sc_core::sc_time ns(double v) {
  return sc_core::sc_time(v, sc_core::SC_NS);
}

// Free descriptors of a ring the driver may still fill: a full ring keeps
// one empty, so that head == tail means empty (as ixgbe_desc_unused).
std::uint32_t unused(std::uint32_t next_to_clean, std::uint32_t next_to_use, std::uint32_t depth) {
  return (next_to_clean > next_to_use ? 0 : depth) + next_to_clean - next_to_use - 1;
}

}  // namespace

struct NicDriver::Queue {
  std::uint32_t k = 0;
  unsigned cpu = 0;
  std::uint32_t depth = 0;
  std::uint64_t rx_ring = 0, tx_ring = 0;  // physical
  std::uint32_t rx_next_to_use = 0, rx_next_to_clean = 0;
  std::uint32_t tx_next_to_use = 0, tx_next_to_clean = 0;
  std::vector<std::uint64_t> rx_buffers, rx_mapped, tx_buffers, tx_mapped;
  std::uint64_t rx_packets = 0;
  InterruptLine irq;
  sc_core::sc_event tx_room;
};

NicDriver::NicDriver(const DeviceModelParams& params, std::uint32_t queues, HostBus& bus,
                     HostCpus& cpus, const HostCpuParams& costs, MmioRegisters& registers,
                     StatsRegistry& stats)
    : params_(params),
      buffer_bytes_((params.packet_size + kPage - 1) / kPage * kPage),
      bus_(bus),
      cpus_(cpus),
      costs_(costs),
      registers_(registers),
      stats_(stats) {
  for (std::uint32_t k = 0; k < queues; ++k) {
    auto q = std::make_unique<Queue>();
    q->k = k;
    q->cpu = k % cpus.count();
    q->depth = params.queue_depth;
    queues_.push_back(std::move(q));
  }
  register_stats(stats);
}

NicDriver::~NicDriver() = default;

NicDriver::Rings NicDriver::rings(std::size_t k) const {
  const Queue& q = *queues_.at(k);
  return {q.rx_ring,          q.tx_ring,        q.rx_next_to_use,
          q.rx_next_to_clean, q.tx_next_to_use, q.tx_next_to_clean};
}

void NicDriver::register_stats(StatsRegistry& stats) {
  const std::string prefix = "devices." + params_.name + ".";
  stats.counter(prefix + "rx_packets", &rx_packets_, "packets received and handed up");
  stats.counter(prefix + "rx_bytes", &rx_bytes_, "bytes of the packets handed up");
  stats.counter(prefix + "rx_errors", &rx_errors_,
                "received descriptors written back with an error (RXE): not handed up");
  stats.counter(prefix + "tx_packets", &tx_packets_, "packets sent and reaped");
  stats.counter(prefix + "tx_bytes", &tx_bytes_, "bytes of the packets sent and reaped");
  stats.counter(prefix + "map_failures", &map_failures_,
                "buffers not given to the NIC: dma_map failed");
  stats.counter(prefix + "interrupts", &interrupts_, "interrupts the driver took");
  stats.histogram(prefix + "latency", &latency_, "ns",
                  "from a packet's arrival at the NIC to the driver handing it up", 1000.0);
  stats.derived(
      prefix + "rx_pps", [this] { return per_second(rx_packets_, first_arrival_ps_, last_rx_ps_); },
      "packets handed up per second of simulated time, first arrival to last hand-up");
  stats.derived(
      prefix + "rx_gbps", [this] { return gbps(rx_bytes_, first_arrival_ps_, last_rx_ps_); },
      "bytes handed up, in Gb/s over the same time");
  for (const auto& q : queues_) {
    stats.counter(prefix + "q" + std::to_string(q->k) + ".rx_packets", &q->rx_packets,
                  "packets this queue handed up");
  }
  // After a warm-up the receive rates run from its end.
  stats.on_restart([this](std::uint64_t epoch_ps) {
    rx_epoch_ps_ = epoch_ps;
    if (!rx_started_) return;
    first_arrival_ps_ = epoch_ps;
    last_rx_ps_ = epoch_ps;
  });
}

void NicDriver::unmap(std::uint64_t address) {
  dma_.unmap(address, buffer_bytes_);
}

void NicDriver::start(FrameAllocator& memory, const CreateQueuePair& create, DmaApi* dma,
                      int handle) {
  dma_ = DeviceMapper(dma, handle);
  for (auto& qp : queues_) {
    Queue& q = *qp;
    set_up_queue(q, memory);
    const std::uint64_t ring_bytes = std::uint64_t{q.depth} * nic::kDescBytes;
    // The device writes descriptors back into both rings.
    const std::uint64_t rx_bus = dma_.map(q.rx_ring, ring_bytes, true);
    const std::uint64_t tx_bus = dma_.map(q.tx_ring, ring_bytes, true);
    refill(q);
    create(q.k, rx_bus, tx_bus, q.depth, q.rx_next_to_use, q.irq);
    sc_core::sc_spawn([this, &q] { interrupts(q); });
    if (params_.tx_gbps > 0) sc_core::sc_spawn([this, &q] { send_all(q); });
  }
}

void NicDriver::set_up_queue(Queue& q, FrameAllocator& memory) {
  const std::uint64_t ring_bytes = std::uint64_t{q.depth} * nic::kDescBytes;
  q.rx_ring = memory.allocate(ring_bytes);
  q.tx_ring = memory.allocate(ring_bytes);
  // Freshly allocated rings hold no DD bits (dma_alloc_coherent zeroes).
  const std::vector<std::uint8_t> zeros(ring_bytes, 0);
  bus_.write(q.rx_ring, zeros);
  bus_.write(q.tx_ring, zeros);
  q.rx_mapped.resize(q.depth);
  q.tx_mapped.resize(q.depth);
  for (std::uint32_t i = 0; i < q.depth; ++i) {
    q.rx_buffers.push_back(memory.allocate(buffer_bytes_));
    if (params_.tx_gbps > 0) q.tx_buffers.push_back(memory.allocate(buffer_bytes_));
  }
}

// One thread per queue pair, on its CPU: the vector's handler cleans the
// receive ring, then the transmit ring (ixgbe_poll cleans both).
void NicDriver::interrupts(Queue& q) {
  cpus_.pin_current(q.cpu);
  for (;;) {
    q.irq.take();
    ++interrupts_;
    HostCpu& cpu = cpus_.cpu(q.cpu);
    const HostCpu::Run run(cpu);
    {
      const HostCpu::Activity irq(cpu, CpuWork::Interrupt);
      HostCpu::spend_ns(costs_.interrupt_ns);
    }
    clean_rx(q);
    clean_tx(q);
  }
}

void NicDriver::clean_rx(Queue& q) {
  for (;;) {
    std::array<std::uint8_t, nic::kDescBytes> raw{};
    bus_.read(q.rx_ring + std::uint64_t{q.rx_next_to_clean} * nic::kDescBytes, raw);
    const nic::Descriptor d = nic::Descriptor::decode_rx(raw);
    if ((d.status & nic::kRxStatusDd) == 0) break;  // not written back yet
    hand_up(q, q.rx_next_to_clean, d.length, d.errors);
    q.rx_next_to_clean = (q.rx_next_to_clean + 1) % q.depth;
  }
  if (refill(q) == 0) return;
  const HostCpu::Activity driver(cpus_.cpu(q.cpu), CpuWork::Driver);
  HostCpu::spend_ns(costs_.mmio_write_ns);
  registers_.mmio_write(nic::rx_tail_register(q.k), q.rx_next_to_use);
}

void NicDriver::hand_up(Queue& q, std::uint32_t slot, std::uint16_t length, std::uint8_t errors) {
  {
    const HostCpu::Activity driver(cpus_.cpu(q.cpu), CpuWork::Driver);
    HostCpu::spend_ns(params_.rx_ns);
  }
  unmap(q.rx_mapped[slot]);
  // Cleared, so that a slot not yet refilled never shows a stale DD (as
  // ixgbe clears the status of the next descriptor to use).
  const std::array<std::uint8_t, nic::kDescBytes> zeros{};
  bus_.write(q.rx_ring + std::uint64_t{slot} * nic::kDescBytes, zeros);
  if (errors != 0) {
    ++rx_errors_;
    return;
  }
  const std::uint64_t arrived_ps = bus_.read64(q.rx_buffers[slot]);  // the packet's timestamp
  const std::uint64_t now = sc_core::sc_time_stamp().value();
  const std::uint64_t from = std::max(arrived_ps, rx_epoch_ps_);
  if (!rx_started_ || from < first_arrival_ps_) first_arrival_ps_ = from;
  rx_started_ = true;
  last_rx_ps_ = now;
  latency_.record(now - arrived_ps);
  ++rx_packets_;
  ++q.rx_packets;
  rx_bytes_ += length;
}

// Gives the device every free slot again; returns how many.
std::uint32_t NicDriver::refill(Queue& q) {
  std::uint32_t filled = 0;
  while (unused(q.rx_next_to_clean, q.rx_next_to_use, q.depth) > 0 && fill_rx(q)) ++filled;
  return filled;
}

bool NicDriver::fill_rx(Queue& q) {
  const std::uint32_t slot = q.rx_next_to_use;
  const std::uint64_t mapped = dma_.map(q.rx_buffers[slot], buffer_bytes_, true);
  if (mapped == 0) {
    ++map_failures_;  // the slot stays empty until the next interrupt's refill
    return false;
  }
  q.rx_mapped[slot] = mapped;
  nic::Descriptor d;
  d.address = mapped;
  bus_.write(q.rx_ring + std::uint64_t{slot} * nic::kDescBytes, d.encode_rx());
  q.rx_next_to_use = (slot + 1) % q.depth;
  return true;
}

void NicDriver::clean_tx(Queue& q) {
  bool reaped = false;
  while (q.tx_next_to_clean != q.tx_next_to_use) {
    std::array<std::uint8_t, nic::kDescBytes> raw{};
    bus_.read(q.tx_ring + std::uint64_t{q.tx_next_to_clean} * nic::kDescBytes, raw);
    const nic::Descriptor d = nic::Descriptor::decode_tx(raw);
    if ((d.status & nic::kTxStatusDd) == 0) break;
    unmap(q.tx_mapped[q.tx_next_to_clean]);
    ++tx_packets_;
    tx_bytes_ += d.length;
    q.tx_next_to_clean = (q.tx_next_to_clean + 1) % q.depth;
    reaped = true;
  }
  if (reaped) q.tx_room.notify(sc_core::SC_ZERO_TIME);
}

// Queue k sends packets k, k + queues, ... of a stream at tx_gbps.
void NicDriver::send_all(Queue& q) {
  cpus_.pin_current(q.cpu);
  const double wire_ns = (params_.packet_size + kWireOverheadBytes) * 8.0 / params_.tx_gbps;
  const auto queues = static_cast<double>(queues_.size());
  for (std::uint64_t n = 0; n < params_.count; ++n) {
    const sc_core::sc_time at =
        ns(params_.start_ns + (static_cast<double>(n) * queues + q.k) * wire_ns);
    if (at > sc_core::sc_time_stamp()) sc_core::wait(at - sc_core::sc_time_stamp());
    while (unused(q.tx_next_to_clean, q.tx_next_to_use, q.depth) == 0) sc_core::wait(q.tx_room);
    send(q);
  }
}

void NicDriver::send(Queue& q) {
  HostCpu& cpu = cpus_.cpu(q.cpu);
  const HostCpu::Run run(cpu);
  {
    const HostCpu::Activity driver(cpu, CpuWork::Driver);
    HostCpu::spend_ns(params_.tx_ns);
  }
  const std::uint32_t slot = q.tx_next_to_use;
  const std::uint64_t mapped = dma_.map(q.tx_buffers[slot], buffer_bytes_, false);
  // A packet sent is work done (StatsRegistry::work_done), mapped or not.
  stats_.work_done();
  if (mapped == 0) {
    ++map_failures_;  // the packet is dropped, as the stack's would be
    return;
  }
  q.tx_mapped[slot] = mapped;
  nic::Descriptor d;
  d.address = mapped;
  d.length = static_cast<std::uint16_t>(params_.packet_size);
  d.cmd = nic::kTxCmdEop | nic::kTxCmdIfcs | nic::kTxCmdRs;
  const HostCpu::Activity driver(cpu, CpuWork::Driver);
  bus_.write(q.tx_ring + std::uint64_t{slot} * nic::kDescBytes, d.encode_tx());
  q.tx_next_to_use = (slot + 1) % q.depth;
  HostCpu::spend_ns(costs_.mmio_write_ns);
  registers_.mmio_write(nic::tx_tail_register(q.k), q.tx_next_to_use);
}

}  // namespace iommu_sim
