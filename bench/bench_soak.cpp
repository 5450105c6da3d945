// Soak: 10^8 timed DMAs on the default platform (one function, random 64 B
// reads over 1 MiB, 25 % IOTLB hits), with the resident set sampled between
// slices of simulated time. Nothing the model keeps may grow with the number
// of DMAs once the working set is touched: caches are fixed, histograms have
// fixed bins, the oracle keeps a bounded list. Run:
//   build/bench/iommu_sim_bench --benchmark_filter=BM_Soak
// Counters: rss_warm_MiB after the first 10 % of DMAs, rss_end_MiB at the
// end, rss_growth_KiB between the two, rss_max_MiB over all samples.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>

#include "bench/resident_memory.h"
#include "model/kernel.h"
#include "model/platform/platform.h"
#include "model/platform/slice_observer.h"

namespace iommu_sim {
namespace {

// Samples the resident set between slices of 1 ms simulated.
class RssSampler : public SliceObserver {
 public:
  RssSampler(const StatsRegistry& stats, std::uint64_t warm_after)
      : stats_(stats), warm_after_(warm_after) {}
  sc_core::sc_time next_slice() override { return sc_core::sc_time(1, sc_core::SC_MS); }
  bool after_slice() override {
    const double rss = resident_mib();
    max_ = std::max(max_, rss);
    if (warm_ == 0 && stats_.work_done_total() >= warm_after_) warm_ = rss;
    end_ = rss;
    return true;
  }
  double warm() const { return warm_; }
  double end() const { return end_; }
  double max() const { return max_; }

 private:
  const StatsRegistry& stats_;
  std::uint64_t warm_after_;
  double warm_ = 0, end_ = 0, max_ = 0;
};

void BM_Soak_Timed_1e8(benchmark::State& state) {
  const std::uint64_t count = 100000000;
  double warm = 0, end = 0, max = 0;
  for (auto _ : state) {
    start_fresh_kernel();
    PlatformConfig c;
    c.workloads[0].count = count;
    auto platform = std::make_unique<Platform>(c);
    RssSampler sampler(platform->stats(), count / 10);
    platform->run(&sampler);
    warm = sampler.warm();
    end = sampler.end();
    max = sampler.max();
    if (platform->stats().work_done_total() != count) state.SkipWithError("the run did not end");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  state.counters["rss_warm_MiB"] = warm;
  state.counters["rss_end_MiB"] = end;
  state.counters["rss_growth_KiB"] = (end - warm) * 1024;
  state.counters["rss_max_MiB"] = max;
}
BENCHMARK(BM_Soak_Timed_1e8)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace iommu_sim
