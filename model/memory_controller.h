// The memory as TLM-2.0 target: sparse backing store plus one or more
// address-interleaved channels, each with a fixed latency and finite
// bandwidth. Each channel serves its requests in arrival order; a request
// that finds its channel busy queues (memory.queue_delay). Channels are
// independent, so requests to different channels complete out of order.
// Any number of initiators bind to `socket` (DMA path, page walker, host).
// Physical ranges marked resident in the host's last-level cache are served
// in memory.llc_latency_ns without a channel; the controller knows ranges,
// not who put them there.
#pragma once

#include <array>
#include <boost/container/flat_map.hpp>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/direct_target_socket.h"
#include "model/kernel_clock.h"
#include "model/memory_params.h"
#include "model/sparse_memory.h"
#include "model/stats.h"
#include "model/timing_mode.h"

namespace iommu_sim {

class MemoryController : public sc_core::sc_module {
  // The socket's targets, declared before it names them.
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& p);

 public:
  DirectTargetSocket<MemoryController, &MemoryController::b_transport,
                     &MemoryController::transport_dbg>
      socket;

  MemoryController(sc_core::sc_module_name name, const MemoryParams& params, TimingMode mode,
                   StatsRegistry& stats, const std::string& stats_prefix = "memory");

  SparseMemory& store() { return store_; }
  const SparseMemory& store() const { return store_; }
  // Channel occupancy of a transfer of `bytes`, rounded up to a picosecond.
  sc_core::sc_time occupancy(std::uint64_t bytes) const;
  // Marks physical [addr, addr + len) resident in the last-level cache; it
  // stays resident for the rest of the run (no eviction is modelled).
  void mark_llc_resident(std::uint64_t addr, std::uint64_t len);
  bool llc_resident(std::uint64_t addr, std::uint64_t len) const;

 private:
  void trace_access(const tlm::tlm_generic_payload& p, const sc_core::sc_time& arrived,
                    const sc_core::sc_time& done) const;
  bool access(tlm::tlm_generic_payload& p);
  // Timed mode: occupies the channels [addr, addr + len) falls in from
  // `arrival` on; returns when the last of them has transferred its share.
  sc_core::sc_time occupy(std::uint64_t addr, std::uint64_t len, sc_core::sc_time arrival);

  MemoryParams params_;
  TimingMode mode_;
  KernelClock clock_;
  SparseMemory store_;
  sc_core::sc_time latency_;
  double ps_per_byte_;
  std::uint64_t limit_;
  // When each channel is free again (Timed mode).
  std::vector<sc_core::sc_time> busy_until_;
  // Occupancies of the sizes table reads come in (8 to 64 bytes: root,
  // context, PASID and paging entries), by size / 8; a cold walk alternates
  // between them. Other sizes remember the last one: streams repeat it.
  static constexpr std::uint64_t kTabledBytes = 64;
  std::array<sc_core::sc_time, kTabledBytes / 8 + 1> small_occupancy_;
  sc_core::sc_time compute_occupancy(std::uint64_t bytes) const;
  mutable std::uint64_t last_bytes_ = ~0ull;
  mutable sc_core::sc_time last_occupancy_;
  sc_core::sc_time llc_latency_;
  // Disjoint, non-adjacent LLC-resident ranges: start -> end.
  boost::container::flat_map<std::uint64_t, std::uint64_t> llc_;

  std::uint64_t reads_ = 0, writes_ = 0, bytes_read_ = 0, bytes_written_ = 0;
  std::uint64_t address_errors_ = 0, llc_hits_ = 0;
  Histogram queue_delay_;
};

}  // namespace iommu_sim
