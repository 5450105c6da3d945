// A DMA traffic generator for one PCIe function and PASID: `outstanding`
// slots, each a SystemC thread that issues one request at a time. Addresses
// come from one seeded random stream shared by the slots, so the request
// sequence depends only on the seed and the (deterministic) SystemC schedule.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <random>
#include <systemc>
#include <tlm>

#include "model/pcie_attrs.h"
#include "model/stats.h"
#include "model/timing_mode.h"
#include "workloads/workload_params.h"

namespace iommu_sim {

class DmaGenerator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaGenerator> socket;

  DmaGenerator(sc_core::sc_module_name name, const WorkloadParams& params, TimingMode mode,
               std::uint64_t seed, StatsRegistry& stats);

  std::uint64_t completed() const { return completed_; }
  std::uint64_t faulted() const { return faulted_; }

 private:
  struct Request {
    std::uint64_t address;
    bool write;
  };
  bool next_request(Request& out);
  void slot_thread(unsigned slot);

  WorkloadParams params_;
  TimingMode mode_;
  std::mt19937_64 rng_;
  std::uint64_t slots_in_span_;
  bool sequential_;
  std::uniform_int_distribution<std::uint64_t> pick_slot_;
  std::uint64_t issued_ = 0, completed_ = 0, faulted_ = 0, errors_ = 0;
  Histogram latency_;
};

}  // namespace iommu_sim
