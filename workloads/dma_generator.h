// A DMA traffic generator for one PCIe function and PASID: a DMA engine of
// `slots()` slots (params.mode decides how many), each a SystemC thread that
// issues one request at a time. Addresses come from one seeded random
// stream shared by the slots, so the request sequence depends only on the
// seed and the (deterministic) SystemC schedule.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/kernel_clock.h"
#include "model/pcie_attrs.h"
#include "model/random.h"
#include "model/stats.h"
#include "model/timing_mode.h"
#include "workloads/workload_params.h"

namespace iommu_sim {

class DmaGenerator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaGenerator> socket;

  // `device_tags`: the tags of the function the generator drives, the
  // slots of a bandwidth-mode engine.
  DmaGenerator(sc_core::sc_module_name name, const WorkloadParams& params, TimingMode mode,
               std::uint64_t seed, std::uint32_t device_tags, StatsRegistry& stats);

  // Moves the window to start at `base` (before the simulation starts): a
  // device model's engine learns its buffer's bus address at set-up.
  void set_base(std::uint64_t base) { params_.base = base; }
  std::uint64_t base() const { return params_.base; }

  std::uint64_t completed() const { return completed_; }
  std::uint64_t faulted() const { return faulted_; }
  // DMAs the engine keeps in flight at most.
  unsigned slots() const { return slots_; }
  // From the first issue to the end of the last DMA (any outcome); zero
  // before the first DMA ended.
  sc_core::sc_time active_time() const;
  // Payload bits of completed DMAs per simulated nanosecond (Gb/s).
  double throughput_gbps() const;
  // Completed DMAs per simulated microsecond (millions per second).
  double dma_rate_mps() const;

 private:
  struct Request {
    std::uint64_t address;
    bool write;
  };
  // A slot's payload, attributes and data. Members, not locals of its
  // thread: SystemC never unwinds a thread still waiting when the
  // simulation stops (a run interrupted by SIGINT), so heap memory on its
  // stack would be lost.
  struct Slot {
    explicit Slot(const WorkloadParams& params);
    // The payload would free the extension: it is a member.
    ~Slot() { payload.clear_extension(&attrs); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    tlm::tlm_generic_payload payload;
    PcieAttrs attrs;
    std::vector<unsigned char> buffer;
  };
  bool next_request(Request& out);
  void slot_thread(unsigned slot);
  void register_stats(StatsRegistry& stats);
  // In Functional mode `issue` and `end` are the slot's local time (its
  // quantum keeper's), in Timed mode the kernel's.
  void note_issue(const sc_core::sc_time& issue);
  void note_end(const sc_core::sc_time& end);

  WorkloadParams params_;
  TimingMode mode_;
  KernelClock clock_;
  unsigned slots_;
  Rng rng_;
  std::uint64_t slots_per_page_;
  std::uint64_t slots_in_span_;
  bool sequential_;
  uniform_int_distribution<std::uint64_t> pick_slot_;
  StatsRegistry& stats_;
  // DMAs handed out: what the engine steers by (count, the sequential
  // pattern). issued_ counts the same but is a statistic a warm-up zeroes.
  std::uint64_t sent_ = 0;
  std::uint64_t issued_ = 0, completed_ = 0, faulted_ = 0, errors_ = 0;
  std::uint64_t bytes_ = 0;
  bool started_ = false;
  sc_core::sc_time first_issue_, last_end_;
  Histogram latency_;
  std::vector<std::unique_ptr<Slot>> slots_state_;
};

}  // namespace iommu_sim
