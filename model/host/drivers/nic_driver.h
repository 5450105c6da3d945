// The host's driver for one NIC (nic_controller.h), as Linux's Intel
// drivers (ixgbe) run a queue pair: each queue pair's receive and
// transmit rings are run by one CPU, on the pair's one interrupt vector.
//
// Receive: at set-up the driver fills queue_depth - 1 descriptors of each
// receive ring (a full ring keeps one empty), each pointing at a buffer of
// packet_size rounded up to pages, mapped DMA_FROM_DEVICE, and sets the
// tail. On the interrupt it reads descriptors with DD set from its
// next-to-clean index, unmaps each buffer, hands the packet up, and
// refills the slot (maps the buffer again and rewrites the descriptor,
// clearing DD); it writes the tail once per interrupt.
//
// Transmit (tx_gbps > 0): a thread per queue sends `count` packets on the
// queue's CPU: maps the slot's buffer DMA_TO_DEVICE, writes the
// descriptor (EOP, IFCS, RS) and writes the tail for every packet (Linux
// batches it when the stack says more follow, xmit_more: not modelled).
// With the ring full it waits for the interrupt to reap sent packets,
// as the stack would with the queue stopped. On the interrupt, after the
// receive ring, sent descriptors with DD set are unmapped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/host/dma_api.h"
#include "model/host/drivers/device_driver.h"
#include "model/host/frame_allocator.h"
#include "model/host/host_bus.h"
#include "model/host/host_cpu.h"
#include "model/interrupt_line.h"
#include "model/mmio_registers.h"
#include "model/stats.h"
#include "workloads/devices/device_model_params.h"

namespace iommu_sim {

class NicDriver : public DeviceDriver {
 public:
  // The rings' set-up (base, length, head and tail registers), given as
  // its effect.
  using CreateQueuePair =
      std::function<void(std::uint32_t k, std::uint64_t rx_ring, std::uint64_t tx_ring,
                         std::uint32_t depth, std::uint32_t rx_tail, InterruptLine& irq)>;

  // `queues` is devices[].queues resolved (at least 1).
  NicDriver(const DeviceModelParams& params, std::uint32_t queues, HostBus& bus, HostCpus& cpus,
            const HostCpuParams& costs, MmioRegisters& registers, StatsRegistry& stats);
  ~NicDriver() override;

  // Allocates the rings and buffers, maps the rings once
  // (dma_alloc_coherent) and the receive buffers, creates the queue pairs
  // on the NIC and starts their threads (call at set-up, before time 0).
  // `dma` with the device's `handle` maps; null when the host does not
  // use the IOMMU: bus addresses are physical.
  void start(FrameAllocator& memory, const CreateQueuePair& create, DmaApi* dma, int handle);

  // Packets received and handed up, and packets sent and reaped.
  std::uint64_t completed() const override { return rx_packets_ + tx_packets_; }

  // Queue `k`'s rings (physical) and the driver's indices into them.
  struct Rings {
    std::uint64_t rx_ring = 0, tx_ring = 0;
    std::uint32_t rx_next_to_use = 0, rx_next_to_clean = 0;
    std::uint32_t tx_next_to_use = 0, tx_next_to_clean = 0;
  };
  Rings rings(std::size_t k) const;

 private:
  struct Queue;
  void register_stats(StatsRegistry& stats);
  void set_up_queue(Queue& q, FrameAllocator& memory);
  void interrupts(Queue& q);
  void clean_rx(Queue& q);
  void hand_up(Queue& q, std::uint32_t slot, std::uint16_t length, std::uint8_t errors);
  std::uint32_t refill(Queue& q);
  bool fill_rx(Queue& q);
  void clean_tx(Queue& q);
  void send_all(Queue& q);
  void send(Queue& q);
  void unmap(std::uint64_t address);

  DeviceModelParams params_;
  std::uint64_t buffer_bytes_;
  HostBus& bus_;
  DeviceMapper dma_;
  HostCpus& cpus_;
  const HostCpuParams& costs_;
  MmioRegisters& registers_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::uint64_t rx_packets_ = 0, rx_bytes_ = 0, rx_errors_ = 0, tx_packets_ = 0, tx_bytes_ = 0;
  std::uint64_t map_failures_ = 0, interrupts_ = 0;
  StatsRegistry& stats_;
  // The receive rates' window: from the first arrival handed up (not
  // before the statistics' epoch, a warm-up's end) to the last hand-up.
  bool rx_started_ = false;
  std::uint64_t rx_epoch_ps_ = 0;
  std::uint64_t first_arrival_ps_ = 0, last_rx_ps_ = 0;
  Histogram latency_;
};

}  // namespace iommu_sim
