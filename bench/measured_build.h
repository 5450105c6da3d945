// What building and running a platform costs the host, measured: the
// benchmarks of resource bounds (bench_resources.cpp) and of scale
// (bench_scale.cpp) build platforms one after another and compare.
#pragma once

#include <malloc.h>

#include <chrono>
#include <memory>

#include "bench/resident_memory.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {

struct Measured {
  double seconds = 0;  // wall time of building and running
  double bytes = 0;    // resident growth meanwhile
  double frames = 0;   // simulated memory frames allocated (tables and data)
  double dmas = 0;     // DMAs the run did
};

// Builds a platform from c on a fresh kernel and runs it to the end; it is
// torn down before return.
inline Measured measure(const PlatformConfig& c) {
  start_fresh_kernel();
  malloc_trim(0);  // the freed heap of the last build would hide this one's pages
  const double before = resident_bytes();
  const auto start = std::chrono::steady_clock::now();
  auto platform = std::make_unique<Platform>(c);
  platform->run();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return {took.count(), resident_bytes() - before,
          static_cast<double>(platform->memory().store().frames_allocated()),
          static_cast<double>(platform->stats().work_done_total())};
}

// c with every workload cut to one DMA: a run of it is the set-up (the host
// maps and attaches at the start of simulation) and little else.
inline PlatformConfig set_up_only(PlatformConfig c) {
  for (auto& w : c.workloads) w.count = 1;
  return c;
}

}  // namespace iommu_sim
