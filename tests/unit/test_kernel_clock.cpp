// KernelClock reads the time the kernel's sc_time_stamp() gives, before,
// during and after a simulation that advances it.
#include <gtest/gtest.h>

#include <vector>

#include "model/kernel.h"
#include "model/kernel_clock.h"

namespace iommu_sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

TEST(KernelClock, FollowsTheKernelsTimeAcrossWaits) {
  start_fresh_kernel();
  const KernelClock clock;
  std::vector<sc_time> seen;
  sc_core::sc_spawn([&] {
    for (int i = 0; i < 3; ++i) {
      sc_core::wait(sc_time(7, SC_NS));
      EXPECT_EQ(clock.now(), sc_core::sc_time_stamp());
      seen.push_back(clock.now());
    }
  });
  EXPECT_EQ(clock.now(), sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  EXPECT_EQ(seen,
            (std::vector<sc_time>{sc_time(7, SC_NS), sc_time(14, SC_NS), sc_time(21, SC_NS)}));
  EXPECT_EQ(clock.now(), sc_time(21, SC_NS));
}

}  // namespace
}  // namespace iommu_sim
