// Runs can be watched and stopped between slices of simulated time
// (Platform::run): the command line redraws its progress line, writes the
// statistics on SIGUSR1 and stops on SIGINT there. Between two slices no
// process is running and every statistic is consistent, and cutting the
// run into slices changes nothing it computes (docs/running.md).
#pragma once

#include <systemc>

namespace iommu_sim {

class SliceObserver {
 public:
  virtual ~SliceObserver() = default;
  // Simulated length of the next slice, counted from the next pending
  // event (the run may cut it short at a warm-up's end or a sample).
  virtual sc_core::sc_time next_slice() = 0;
  // Between two slices: false stops the run there.
  virtual bool after_slice() = 0;
};

}  // namespace iommu_sim
