// The kernel's current time, read without a call into the SystemC library.
// sc_time_stamp() returns a reference to the simulation context's current
// time (Accellera SystemC 2.3: sc_simcontext::m_curr_time), which lives as
// long as the context does; a block made in a context keeps the reference
// and reads the time with one load. The timed IOTLB-hit path read the clock
// nine times per DMA through the library: reading it inline saved 122
// instructions per DMA (scripts/instructions.sh, 2 763 -> 2 641). tests/unit/test_kernel_clock.cpp
// checks the assumption: the reference follows the time across waits.
#pragma once

#include <systemc>

namespace iommu_sim {

class KernelClock {
 public:
  KernelClock() : now_(&sc_core::sc_time_stamp()) {}
  const sc_core::sc_time& now() const { return *now_; }

 private:
  const sc_core::sc_time* now_;
};

}  // namespace iommu_sim
