// The memory as TLM-2.0 target: sparse backing store plus a single channel
// with a fixed latency and finite bandwidth. Requests are served in arrival
// order; a request that finds the channel busy queues (memory.queue_delay).
// Any number of initiators bind to `socket` (DMA path, page walker, host).
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include "model/memory_params.h"
#include "model/sparse_memory.h"
#include "model/stats.h"
#include "model/timing_mode.h"

namespace iommu_sim {

class MemoryController : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<MemoryController> socket;

  MemoryController(sc_core::sc_module_name name, const MemoryParams& params, TimingMode mode,
                   StatsRegistry& stats, const std::string& stats_prefix = "memory");

  SparseMemory& store() { return store_; }
  const SparseMemory& store() const { return store_; }
  // Channel occupancy of a transfer of `bytes`, rounded up to a picosecond.
  sc_core::sc_time occupancy(std::uint64_t bytes) const;

 private:
  void b_transport(int id, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& p);
  bool access(tlm::tlm_generic_payload& p);

  MemoryParams params_;
  TimingMode mode_;
  SparseMemory store_;
  sc_core::sc_time latency_;
  double ps_per_byte_;
  std::uint64_t limit_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  mutable std::uint64_t last_bytes_ = ~0ull;
  mutable sc_core::sc_time last_occupancy_;

  std::uint64_t reads_ = 0, writes_ = 0, bytes_read_ = 0, bytes_written_ = 0;
  std::uint64_t address_errors_ = 0;
  Histogram queue_delay_;
};

}  // namespace iommu_sim
