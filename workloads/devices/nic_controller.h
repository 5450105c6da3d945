// An Ethernet NIC (Intel 82599-like, legacy descriptors: nic_format.h) as
// the device side of a device model: each queue pair is a receive and a
// transmit ring of 16-byte descriptors in host memory, and an MSI-X
// vector the two share (as ixgbe's one q_vector per queue pair).
//
// Receive: packets arrive at offered_gbps, each to the next queue in turn
// (RSS), until every queue has had `count`. A packet is accepted when its
// queue has a descriptor the driver gave (the tail register, as last
// written, is ahead of the descriptors already taken) and dropped
// otherwise, as a NIC drops what its queue has no descriptor for once
// its packet buffer is full (the buffer is not modelled). Each queue's
// engine then takes the accepted packets in order: it fetches the
// descriptor (a 16-byte DMA read), writes the packet into its buffer,
// writes the descriptor back with length, EOP and DD (a 16-byte DMA
// write) and advances the head. The packet's first 8 bytes carry its
// arrival time in picoseconds, as a packet generator's timestamp.
//
// Transmit: on a tail write the queue's engine fetches each new
// descriptor, reads the packet and writes the descriptor back with DD.
//
// Interrupt moderation: a queue's vector is sent after
// completions_per_interrupt receive and transmit completions, or
// interrupt_delay_ns after the first completion not yet signalled.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <vector>

#include "model/interrupt_line.h"
#include "model/mmio_registers.h"
#include "model/stats.h"
#include "workloads/devices/device_model_params.h"
#include "workloads/devices/nic_format.h"

namespace iommu_sim {

class NicController : public sc_core::sc_module, public MmioRegisters {
 public:
  tlm_utils::simple_initiator_socket<NicController> socket;

  // `queues` is devices[].queues resolved (at least 1).
  NicController(sc_core::sc_module_name name, const DeviceModelParams& params, std::uint32_t queues,
                StatsRegistry& stats);

  // Queue pair `k` (0..): rings of `depth` descriptors at bus addresses
  // `rx_ring` and `tx_ring`, the receive tail at `rx_tail` (the RDT write
  // of the driver's ring set-up), completions signalled on `irq`.
  void create_queue_pair(std::uint32_t k, std::uint64_t rx_ring, std::uint64_t tx_ring,
                         std::uint32_t depth, std::uint32_t rx_tail, InterruptLine& irq);
  // Tail registers (nic::rx_tail_register / tx_tail_register); a write
  // takes effect doorbell_latency_ns later.
  void mmio_write(std::uint64_t offset, std::uint32_t value) override;

  // What the device knows of queue `k` (for tests and debugging).
  struct QueueState {
    std::uint32_t rx_head = 0, rx_tail = 0, tx_head = 0, tx_tail = 0;
    std::uint64_t rx_packets = 0, tx_packets = 0, interrupts = 0;
  };
  QueueState queue_state(std::uint32_t k) const;

 private:
  struct TailWrite {
    sc_core::sc_time at;
    std::uint32_t value;
  };
  struct Queue {
    std::uint64_t rx_ring = 0, tx_ring = 0;
    std::uint32_t depth = 0;
    std::uint32_t rx_head = 0, rx_taken = 0, rx_tail = 0, tx_head = 0, tx_tail = 0;
    std::deque<TailWrite> rx_writes, tx_writes;  // arriving
    std::deque<std::uint64_t> accepted;          // arrival times (ps), in order
    sc_core::sc_event packet, rx_doorbell, tx_doorbell, first_completion;
    std::uint32_t unsignalled = 0;
    sc_core::sc_time first_unsignalled;
    std::uint64_t rx_packets = 0, tx_packets = 0, interrupts = 0;
    InterruptLine* irq = nullptr;
  };
  void arrivals_thread();
  void arrive(Queue& q);
  void rx_tail_thread(Queue& q);
  void rx_thread(Queue& q);
  void receive(Queue& q, std::uint32_t slot, std::uint64_t arrived_ps,
               std::vector<std::uint8_t>& packet);
  void tx_thread(Queue& q);
  void transmit(Queue& q, std::vector<std::uint8_t>& packet);
  void moderation_thread(Queue& q);
  void completed(Queue& q);
  void signal(Queue& q);
  static void apply_arrived(std::deque<TailWrite>& writes, std::uint32_t& tail);

  DeviceModelParams params_;
  std::uint32_t queue_count_;
  StatsRegistry& stats_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::uint64_t rx_arrived_ = 0, rx_dropped_ = 0, dma_errors_ = 0;
  // Each engine's data buffer. SystemC never unwinds a thread that is
  // still waiting when the simulation ends, so a buffer on its stack would
  // leak; the module owns them (a deque: references stay valid).
  std::deque<std::vector<std::uint8_t>> buffers_;
};

}  // namespace iommu_sim
