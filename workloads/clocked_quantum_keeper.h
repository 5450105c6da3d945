// TLM-2.0's quantum keeper reading the kernel's time inline (KernelClock):
// the base class calls sc_time_stamp() in need_sync() and
// get_current_time(), once per transaction of a decoupled initiator (about
// 15 of the functional hit path's instructions per DMA, callgrind). Same
// time, same sync points: this only overrides those two (IEEE 1666-2011
// 16.2: the keeper's members are for derived classes).
#pragma once

#include <tlm_utils/tlm_quantumkeeper.h>

#include <systemc>

#include "model/kernel_clock.h"

namespace iommu_sim {

class ClockedQuantumKeeper final : public tlm_utils::tlm_quantumkeeper {
 public:
  bool need_sync() const override { return clock_.now() + m_local_time >= m_next_sync_point; }
  sc_core::sc_time get_current_time() const override { return clock_.now() + m_local_time; }

 private:
  KernelClock clock_;
};

}  // namespace iommu_sim
