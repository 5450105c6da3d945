// The simulator's speed in bandwidth mode, the pcie-bench experiment of
// docs/validation.md: the Broadwell preset's 32 reads in flight through
// links with bandwidth, a 64-entry fully associative IOTLB and six
// walkers, at a window every read hits (256 KiB) and at one nearly every
// read misses (64 MiB). Run:
// build/bench/iommu_sim_bench --benchmark_filter=BM_Bandwidth
#include <benchmark/benchmark.h>

#include "bench/repo_config.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

void BM_Bandwidth(benchmark::State& state, std::uint64_t span) {
  const auto loaded = repo_config("configs/platforms/broadwell_xeon_gen3x8.json");
  if (!loaded) {
    state.SkipWithError("cannot load the Broadwell preset");
    return;
  }
  PlatformConfig c = *loaded;
  c.workloads[0].span = span;
  for (auto _ : state) {
    start_fresh_kernel();
    Platform p(c);
    p.run();
    benchmark::DoNotOptimize(p.stats().counter_value("workload.dma.completed"));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.workloads[0].count));
}
BENCHMARK_CAPTURE(BM_Bandwidth, AllHit_256KiB, 256ull << 10)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Bandwidth, Misses_64MiB, 64ull << 20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace iommu_sim
