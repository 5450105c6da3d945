// ProcessPool: each job runs in a thread of its own from the instant it is
// given, and finished threads are reused, so a long run of short jobs ends
// with as many threads as ever ran at once, not one per job.
#include "model/process_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "model/kernel.h"

namespace iommu_sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

// Runs `driver` as a thread of a fresh kernel to the end of simulation.
template <class F>
void simulate(F driver) {
  start_fresh_kernel();
  sc_core::sc_spawn(driver, "driver");
  sc_core::sc_start();
}

TEST(ProcessPool, JobsOneAfterAnotherShareOneThread) {
  // Outlives the simulation, as the product's pools do (their threads are
  // left waiting when it ends).
  ProcessPool pool("job");
  std::vector<sc_time> started, ended;
  simulate([&] {
    for (int i = 0; i < 1000; ++i) {
      pool.run([&] {
        started.push_back(sc_core::sc_time_stamp());
        sc_core::wait(1, SC_NS);
        ended.push_back(sc_core::sc_time_stamp());
      });
      sc_core::wait(2, SC_NS);
    }
  });
  ASSERT_EQ(started.size(), 1000u);
  ASSERT_EQ(ended.size(), 1000u);
  // Job i starts the instant it is given (2i ns) and waits 1 ns.
  EXPECT_EQ(started[0], sc_time(0, SC_NS));
  EXPECT_EQ(started[999], sc_time(1998, SC_NS));
  EXPECT_EQ(ended[999], sc_time(1999, SC_NS));
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(ProcessPool, OverlappingJobsRunAtOnce) {
  ProcessPool p("job");
  std::vector<int> order;
  sc_time last_end;
  simulate([&] {
    // Three jobs given at 0 ns, each waiting 10 - 3i ns, so they end in
    // reverse; a fourth given at 20 ns reuses a thread of the first three.
    for (int i = 0; i < 3; ++i) {
      p.run([&order, i] {
        sc_core::wait(10 - 3 * i, SC_NS);
        order.push_back(i);
      });
    }
    sc_core::wait(20, SC_NS);
    p.run([&] {
      sc_core::wait(5, SC_NS);
      order.push_back(3);
      last_end = sc_core::sc_time_stamp();
    });
  });
  EXPECT_EQ(order, (std::vector<int>{2, 1, 0, 3}));
  EXPECT_EQ(last_end, sc_time(25, SC_NS));
  EXPECT_EQ(p.threads(), 3u);
}

}  // namespace
}  // namespace iommu_sim
