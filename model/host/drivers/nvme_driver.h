// The host's NVMe driver for one controller, as Linux's nvme-pci drives
// it: a submission/completion queue pair per queue, each queue run by one
// CPU. For every I/O the driver maps the buffer (dma_map through the DMA
// API), writes the 64-byte command into the submission queue in memory,
// with a PRP list when the buffer spans more than two pages, and writes
// the tail doorbell. On the queue's interrupt it reads every new
// completion (phase tag), unmaps each buffer, and writes the head
// doorbell. The queues, PRP list pages and buffers are allocated at
// set-up; queues and PRP pages are mapped once (dma_alloc_coherent).
// It keeps queue_depth - 1 I/Os in flight per queue until `count` I/Os of
// that queue have completed.
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
#include "model/random.h"
#include "model/stats.h"
#include "workloads/devices/device_model_params.h"

namespace iommu_sim {

class NvmeDriver : public DeviceDriver {
 public:
  // The admin commands Create I/O CQ and SQ, given as their effect.
  using CreateQueuePair = std::function<void(std::uint16_t qid, std::uint64_t sq, std::uint64_t cq,
                                             std::uint32_t depth, InterruptLine& irq)>;

  // `queues` is devices[].queues resolved (at least 1).
  NvmeDriver(const DeviceModelParams& params, std::uint32_t queues, HostBus& bus, HostCpus& cpus,
             const HostCpuParams& costs, MmioRegisters& registers, std::uint64_t seed,
             StatsRegistry& stats);
  ~NvmeDriver() override;

  // Allocates and maps the queues, creates them on the controller and
  // starts one thread per queue (call at set-up, before time 0). `dma`,
  // with the device's `handle`, maps buffers; null when the host does not
  // use the IOMMU (host.dma_remapping off): bus addresses are physical.
  void start(FrameAllocator& memory, const CreateQueuePair& create, DmaApi* dma, int handle);

  std::uint64_t completed() const override { return ios_; }
  // Physical addresses of queue `k`'s submission and completion queues.
  std::pair<std::uint64_t, std::uint64_t> queue_memory(std::size_t k) const;
  // The bus address the last I/O of queue `k`'s command `cid` was mapped at.
  std::uint64_t mapped(std::size_t k, std::uint16_t cid) const;
  std::uint64_t errors() const { return errors_; }

 private:
  struct Queue;
  struct Slot;
  void run(Queue& q);
  void submit(Queue& q);
  std::uint64_t write_prps(Slot& s, std::uint64_t address);
  void reap(Queue& q);
  void finish(Queue& q, std::uint16_t cid, std::uint16_t status);
  void register_stats(StatsRegistry& stats);

  DeviceModelParams params_;
  HostBus& bus_;
  DeviceMapper dma_;
  HostCpus& cpus_;
  const HostCpuParams& costs_;
  MmioRegisters& registers_;
  Rng rng_;
  StatsRegistry& stats_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::uint64_t ios_ = 0, bytes_ = 0, errors_ = 0, map_failures_ = 0, interrupts_ = 0;
  std::uint64_t first_submit_ps_ = 0, last_completion_ps_ = 0;
  bool started_ = false;
  Histogram latency_;
};

}  // namespace iommu_sim
