#include "workloads/devices/nic_controller.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "workloads/devices/device_dma.h"

namespace iommu_sim {

namespace {

sc_core::sc_time ns(double v) {
  return sc_core::sc_time(v, sc_core::SC_NS);
}

// Preamble, start delimiter and inter-frame gap: the wire time a packet
// takes besides its own bytes (IEEE 802.3 clauses 3.1.1, 4.4.2).
constexpr double kWireOverheadBytes = 20.0;

}  // namespace

NicController::NicController(sc_core::sc_module_name name, const DeviceModelParams& params,
                             std::uint32_t queues, StatsRegistry& stats)
    : sc_module(name), socket("socket"), params_(params), queue_count_(queues), stats_(stats) {
  for (std::uint32_t k = 0; k < queues; ++k) queues_.push_back(std::make_unique<Queue>());
  const std::string prefix = "devices." + params.name + ".";
  stats.counter(prefix + "rx_arrived", &rx_arrived_,
                "packets that arrived at the port, received or dropped");
  stats.counter(prefix + "rx_dropped", &rx_dropped_,
                "packets dropped: their queue had no receive descriptor");
  stats.counter(prefix + "dma_errors", &dma_errors_,
                "packets whose descriptor or data DMA was blocked (receive: written back "
                "with RXE)");
  sc_core::sc_spawn([this] { arrivals_thread(); });
}

void NicController::create_queue_pair(std::uint32_t k, std::uint64_t rx_ring, std::uint64_t tx_ring,
                                      std::uint32_t depth, std::uint32_t rx_tail,
                                      InterruptLine& irq) {
  Queue& q = *queues_.at(k);
  q.rx_ring = rx_ring;
  q.tx_ring = tx_ring;
  q.depth = depth;
  q.rx_tail = rx_tail;
  q.irq = &irq;
  sc_core::sc_spawn([this, &q] { rx_tail_thread(q); });
  for (std::uint32_t e = 0; e < params_.rx_engines; ++e) {
    sc_core::sc_spawn([this, &q] { rx_thread(q); });
  }
  sc_core::sc_spawn([this, &q] { tx_thread(q); });
  sc_core::sc_spawn([this, &q] { moderation_thread(q); });
}

NicController::QueueState NicController::queue_state(std::uint32_t k) const {
  const Queue& q = *queues_.at(k);
  return {q.rx_head, q.rx_tail, q.tx_head, q.tx_tail, q.rx_packets, q.tx_packets, q.interrupts};
}

void NicController::mmio_write(std::uint64_t offset, std::uint32_t value) {
  const bool rx = offset >= nic::rx_tail_register(0) && offset < nic::rx_tail_register(64);
  const bool tx = offset >= nic::tx_tail_register(0) && offset < nic::tx_tail_register(64);
  const std::uint64_t base = rx ? nic::rx_tail_register(0) : nic::tx_tail_register(0);
  if ((!rx && !tx) || (offset - base) % 0x40 != 0) return;  // not a tail register
  const std::uint64_t k = (offset - base) / 0x40;
  if (k >= queues_.size() || value >= queues_[k]->depth) return;  // ignored, as invalid
  Queue& q = *queues_[k];
  const sc_core::sc_time after = ns(params_.doorbell_latency_ns);
  (rx ? q.rx_writes : q.tx_writes).push_back({sc_core::sc_time_stamp() + after, value});
  (rx ? q.rx_doorbell : q.tx_doorbell).notify(after);
}

void NicController::apply_arrived(std::deque<TailWrite>& writes, std::uint32_t& tail) {
  while (!writes.empty() && writes.front().at <= sc_core::sc_time_stamp()) {
    tail = writes.front().value;
    writes.pop_front();
  }
}

// Packet n arrives (n) x its wire time after start_ns, for queue n mod
// queues: every queue gets `count`, then the port falls silent.
void NicController::arrivals_thread() {
  if (params_.offered_gbps <= 0) return;
  const double wire_ns = (params_.packet_size + kWireOverheadBytes) * 8.0 / params_.offered_gbps;
  const std::uint64_t total = params_.count * queue_count_;
  for (std::uint64_t n = 0; n < total; ++n) {
    const sc_core::sc_time at = ns(params_.start_ns + static_cast<double>(n) * wire_ns);
    if (at > sc_core::sc_time_stamp()) sc_core::wait(at - sc_core::sc_time_stamp());
    arrive(*queues_[n % queue_count_]);
  }
}

void NicController::arrive(Queue& q) {
  ++rx_arrived_;
  apply_arrived(q.rx_writes, q.rx_tail);
  // Descriptors the driver gave and the device has not taken: from the
  // next one to take up to the tail.
  if (q.depth == 0 || q.rx_taken == q.rx_tail) {
    ++rx_dropped_;
    stats_.work_done();  // an arrival is work done, received or dropped
    return;
  }
  q.rx_taken = (q.rx_taken + 1) % q.depth;
  q.accepted.push_back(sc_core::sc_time_stamp().value());
  q.packet.notify(sc_core::SC_ZERO_TIME);
  stats_.work_done();
}

// Applies each receive tail write when it arrives (arrivals also apply
// them, so that a packet arriving at that instant sees it either way).
void NicController::rx_tail_thread(Queue& q) {
  for (;;) {
    apply_arrived(q.rx_writes, q.rx_tail);
    if (q.rx_writes.empty()) {
      sc_core::wait(q.rx_doorbell);
    } else {
      sc_core::wait(q.rx_writes.front().at - sc_core::sc_time_stamp());
    }
  }
}

void NicController::rx_thread(Queue& q) {
  std::vector<std::uint8_t>& packet = buffers_.emplace_back(params_.packet_size, 0x5a);
  for (;;) {
    while (q.accepted.empty()) sc_core::wait(q.packet);
    const std::uint64_t arrived_ps = q.accepted.front();
    q.accepted.pop_front();
    // Descriptors are taken in ring order; engines may finish out of
    // order, and the driver stops at the first without DD.
    const std::uint32_t slot = q.rx_head;
    q.rx_head = (q.rx_head + 1) % q.depth;
    receive(q, slot, arrived_ps, packet);
  }
}

void NicController::receive(Queue& q, std::uint32_t slot, std::uint64_t arrived_ps,
                            std::vector<std::uint8_t>& packet) {
  const std::uint64_t at = q.rx_ring + std::uint64_t{slot} * nic::kDescBytes;
  std::array<std::uint8_t, nic::kDescBytes> raw{};
  bool ok = device_dma(socket, at, raw.data(), raw.size(), false);
  nic::Descriptor d = nic::Descriptor::decode_rx(raw);
  std::memcpy(packet.data(), &arrived_ps, sizeof arrived_ps);  // the timestamp
  ok = ok && device_dma(socket, d.address, packet.data(), packet.size(), true);
  if (!ok) ++dma_errors_;
  d.length = static_cast<std::uint16_t>(params_.packet_size);
  d.status = nic::kRxStatusDd | nic::kRxStatusEop;
  d.errors = ok ? 0 : nic::kRxErrorRxe;
  raw = d.encode_rx();
  device_dma(socket, at, raw.data(), raw.size(), true);
  ++q.rx_packets;
  completed(q);
}

void NicController::tx_thread(Queue& q) {
  std::vector<std::uint8_t>& packet = buffers_.emplace_back(params_.packet_size);
  for (;;) {
    apply_arrived(q.tx_writes, q.tx_tail);
    if (q.tx_head != q.tx_tail) {
      transmit(q, packet);
    } else if (q.tx_writes.empty()) {
      sc_core::wait(q.tx_doorbell);
    } else {
      sc_core::wait(q.tx_writes.front().at - sc_core::sc_time_stamp());
    }
  }
}

void NicController::transmit(Queue& q, std::vector<std::uint8_t>& packet) {
  const std::uint64_t at = q.tx_ring + std::uint64_t{q.tx_head} * nic::kDescBytes;
  std::array<std::uint8_t, nic::kDescBytes> raw{};
  bool ok = device_dma(socket, at, raw.data(), raw.size(), false);
  nic::Descriptor d = nic::Descriptor::decode_tx(raw);
  const std::uint64_t length = std::min<std::uint64_t>(d.length, packet.size());
  ok = ok && device_dma(socket, d.address, packet.data(), length, false);
  if (!ok) ++dma_errors_;
  d.status = nic::kTxStatusDd;
  raw = d.encode_tx();
  device_dma(socket, at, raw.data(), raw.size(), true);
  q.tx_head = (q.tx_head + 1) % q.depth;
  ++q.tx_packets;
  completed(q);
}

void NicController::completed(Queue& q) {
  ++q.unsignalled;
  if (q.unsignalled >= params_.completions_per_interrupt) {
    signal(q);
  } else if (q.unsignalled == 1) {
    q.first_unsignalled = sc_core::sc_time_stamp();
    q.first_completion.notify(sc_core::SC_ZERO_TIME);
  }
}

void NicController::signal(Queue& q) {
  q.unsignalled = 0;
  ++q.interrupts;
  q.irq->raise(ns(params_.msi_latency_ns));
}

// Sends a smaller batch's interrupt interrupt_delay_ns after its first
// completion, unless the batch filled up first.
void NicController::moderation_thread(Queue& q) {
  for (;;) {
    if (q.unsignalled == 0) {
      sc_core::wait(q.first_completion);
      continue;
    }
    const sc_core::sc_time deadline = q.first_unsignalled + ns(params_.interrupt_delay_ns);
    if (deadline <= sc_core::sc_time_stamp()) {
      signal(q);
    } else {
      sc_core::wait(deadline - sc_core::sc_time_stamp());
    }
  }
}

}  // namespace iommu_sim
