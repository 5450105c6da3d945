// An NVMe controller (NVM Express Base spec 2.0) as the device side of a
// device model: I/O submission and completion queues live in host memory;
// a doorbell write (MMIO) tells the controller a queue's new tail; it
// fetches each 64-byte command by DMA, runs it on its media (at most
// media_parallelism at once; the others wait in fetch order; each command
// in flight has its own engine for the rest), moves the data by DMA
// through the command's PRPs (reading a PRP list first when there is one),
// writes a 16-byte completion with the queue's phase tag and raises the
// queue's MSI-X vector. A DMA that fails (the IOMMU blocked it) completes
// the command with Data Transfer Error.
//
// The admin queue is not modelled: Create I/O Completion Queue and Create
// I/O Submission Queue (spec 5.4, 5.5) are given as their effect, at
// set-up, by create_queue_pair().
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "model/interrupt_line.h"
#include "model/mmio_registers.h"
#include "model/stats.h"
#include "workloads/devices/device_model_params.h"
#include "workloads/devices/nvme_format.h"

namespace iommu_sim {

class NvmeController : public sc_core::sc_module, public MmioRegisters {
 public:
  tlm_utils::simple_initiator_socket<NvmeController> socket;

  NvmeController(sc_core::sc_module_name name, const DeviceModelParams& params,
                 StatsRegistry& stats);

  // Queue `qid` (1..): `depth` entries of each queue at bus addresses `sq`
  // and `cq`, completions signalled on `irq`.
  void create_queue_pair(std::uint16_t qid, std::uint64_t sq, std::uint64_t cq, std::uint32_t depth,
                         InterruptLine& irq);
  // Doorbells (nvme::sq_tail_doorbell / cq_head_doorbell); the controller
  // acts on a tail write doorbell_latency_ns later.
  void mmio_write(std::uint64_t offset, std::uint32_t value) override;

  std::uint64_t commands() const { return commands_; }
  // What the controller knows of queue `qid` (for tests and debugging).
  struct QueueState {
    std::uint32_t sq_head = 0, sq_tail = 0, cq_tail = 0, cq_head = 0;
    bool phase = true;
  };
  QueueState queue_state(std::uint16_t qid);

 private:
  struct Queue {
    std::uint16_t qid = 0;
    std::uint64_t sq = 0, cq = 0;
    std::uint32_t depth = 0;
    std::uint32_t sq_head = 0, sq_tail = 0, cq_tail = 0, cq_head = 0;
    bool phase = true;  // the controller's phase tag, inverted at each wrap
    InterruptLine* irq = nullptr;
    std::deque<std::pair<sc_core::sc_time, std::uint32_t>> tail_writes;  // arriving
    sc_core::sc_event doorbell, cq_room;
  };
  struct Work {
    Queue* queue;
    nvme::Command command;
    std::uint64_t fetched_ps;
  };
  void fetch_thread(Queue& q);
  bool apply_arrived_tails(Queue& q);
  void command_thread();
  // Runs the media for one command: waits for one of media_parallelism.
  void run_media(double ns_busy, std::uint64_t fetched_ps);
  bool transfer(const nvme::Command& c, std::vector<std::uint8_t>& data);
  void complete(Queue& q, const nvme::Command& c, bool ok);
  Queue* find(std::uint16_t qid);

  DeviceModelParams params_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::deque<Work> work_;
  sc_core::sc_event work_ready_;
  std::uint32_t engines_ = 0;
  // The media's free units, and commands waiting for one in arrival order.
  std::uint32_t media_free_;
  std::deque<sc_core::sc_event*> media_waiting_;
  std::uint64_t commands_ = 0, transfer_errors_ = 0;
  Histogram media_wait_;
  // Each engine's data buffer. SystemC never unwinds a thread that is
  // still waiting when the simulation ends, so a buffer on its stack would
  // leak; the module owns them (a deque: references stay valid).
  std::deque<std::vector<std::uint8_t>> buffers_;
};

}  // namespace iommu_sim
