// When the DMAs this IOMMU translated will have finished: a read when the
// root complex has all its data from memory, a write when its effect is
// visible to processor accesses (VT-d spec 6.5.2.3, DR/DW). An invalidation
// that drains completes no earlier than that, so that once software sees it
// complete no DMA translated with the old entries is still on its way.
// The model drains all earlier DMAs of the kind, not only those that used
// the invalidated entries: the specification allows "all/relevant".
#pragma once

#include <systemc>

namespace iommu_sim {

class DmaDrain {
 public:
  // A translated DMA that finishes at `done`.
  void forwarded(bool write, const sc_core::sc_time& done) {
    sc_core::sc_time& last = write ? writes_done_ : reads_done_;
    if (done > last) last = done;
  }
  // When every DMA forwarded so far of the kinds asked for has finished.
  sc_core::sc_time done(bool reads, bool writes) const {
    sc_core::sc_time t = sc_core::SC_ZERO_TIME;
    if (reads) t = reads_done_;
    if (writes && writes_done_ > t) t = writes_done_;
    return t;
  }

 private:
  sc_core::sc_time reads_done_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_time writes_done_ = sc_core::SC_ZERO_TIME;
};

}  // namespace iommu_sim
