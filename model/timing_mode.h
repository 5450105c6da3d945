// The two speeds of DESIGN.md. In Timed mode every block that reads or
// changes shared state first waits until the simulated time at which that
// happens, so caches, queues and memory are observed at exact times and
// contention is real. In Functional mode nothing waits: latencies are added
// to the TLM delay annotation without contention, initiators run ahead under
// a quantum (temporal decoupling), and translations and cache counters are
// those of the timed model for the same request order.
#pragma once

#include <systemc>

namespace iommu_sim {

enum class TimingMode { Timed, Functional };

// Brings a thread to the time its annotated delay stands for (Timed mode), or
// leaves the delay to be carried forward (Functional mode).
inline void sync_to(TimingMode mode, sc_core::sc_time& delay) {
  if (mode == TimingMode::Timed && delay != sc_core::SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
}

inline sc_core::sc_time ns(double v) {
  return sc_core::sc_time(v, sc_core::SC_NS);
}

}  // namespace iommu_sim
