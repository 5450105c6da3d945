// The `stats` section of a config: what the statistics of a run cover
// (a warm-up to leave out), how histograms are binned in stats.json, and
// the periodic samples of stats-timeseries.csv (docs/running.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/param.h"

namespace iommu_sim {

struct StatsParams {
  std::uint64_t warmup_dmas = 0;
  double warmup_ns = 0.0;
  std::uint32_t histogram_bins = 20;
  std::string histogram_scale = "log";
  double interval_ns = 0.0;
  std::vector<std::string> timeseries{
      "workload.*.completed", "replay.*.completed", "iommu.requests",       "iommu.iotlb.hits",
      "iommu.iotlb.misses",   "iommu.walk.count",   "iommu.qi.descriptors", "iommu.faults.total"};

  template <class V>
  void visit(V& v) {
    v(warmup_dmas,
      {"warmup_dmas", "DMAs",
       "0: no warm-up; a study sets it to leave out the cold caches of its start",
       "Warm-up by work done: once this many DMAs (workloads, accelerators, replayed "
       "trace records) or I/Os and packets (NVMe and NIC models) have ended, every statistic "
       "restarts, at that instant. At most one of warmup_dmas and warmup_ns.",
       0, 1ull << 40},
      "every counter and histogram (from the warm-up's end), warmup_end_ns");
    v(warmup_ns,
      {"warmup_ns", "ns", "0: no warm-up",
       "Warm-up by simulated time: at this time every statistic restarts (everything "
       "before it is left out, everything at it or after counts). 0 or at least 1 ns; at most "
       "one of warmup_dmas and warmup_ns.",
       0.0, 1e15},
      "every counter and histogram (from the warm-up's end), warmup_end_ns");
    v(histogram_bins,
      {"histogram_bins", "bins",
       "20: enough to see a distribution's shape, small enough to keep stats.json short",
       "Bins each histogram of stats.json is cut into, between its smallest and largest "
       "sample (exact percentiles are written beside them).",
       1, 1000},
      "the bins of every histogram in stats.json");
    v(histogram_scale,
      {"histogram_scale",
       "",
       "log: latencies span decades (a 3 ns hit, an 800 ns walk, microseconds of queueing)",
       "Spacing of the histogram bins: log (each bin the same ratio wide; zero samples get "
       "a bin [0, smallest positive sample) of their own) or linear.",
       0,
       0,
       false,
       {"log", "linear"}},
      "the bins of every histogram in stats.json");
    v(interval_ns,
      {"interval_ns", "ns", "0: no time series",
       "Sampling period of stats-timeseries.csv (written into --out): one row per period "
       "of simulated time with what each counter of `timeseries` counted in it. 0 or at "
       "least 1 ns.",
       0.0, 1e15},
      "stats-timeseries.csv");
    v(timeseries,
      {"timeseries", "counter names",
       "the DMAs completed, IOTLB hits and misses, walks, invalidation descriptors and faults",
       "Columns of stats-timeseries.csv: counter names (docs/statistics.md) or patterns with "
       "* (each counter matching one, in name order; a pattern may match none)."},
      "stats-timeseries.csv");
  }
};

}  // namespace iommu_sim
