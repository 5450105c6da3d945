// The simulator's speed with a device model: the NVMe model of
// configs/devices/nvme_4k_random_reads.json on 8 CPUs (8 queues of depth
// 32) completing 1 M 4 KiB random reads, every one mapped and unmapped
// through the DMA API, in identity, strict and lazy mode. Items are I/Os.
// Run: build/bench/iommu_sim_bench --benchmark_filter=BM_Nvme
#include <benchmark/benchmark.h>

#include "bench/repo_config.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

void BM_Nvme(benchmark::State& state, const char* mode) {
  const auto loaded = repo_config("configs/devices/nvme_4k_random_reads.json");
  if (!loaded) {
    state.SkipWithError("cannot load the NVMe example");
    return;
  }
  PlatformConfig c = *loaded;
  constexpr std::uint32_t kCpus = 8;
  constexpr std::uint64_t kIos = 1'000'000;
  c.host.cpus = kCpus;
  c.host.dma_api = mode;
  c.devices[0].count = kIos / kCpus;
  for (auto _ : state) {
    start_fresh_kernel();
    Platform p(c);
    p.run();
    if (p.stats().counter_value("devices.ssd.ios") != kIos) state.SkipWithError("I/Os missing");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kIos));
}
BENCHMARK_CAPTURE(BM_Nvme, Strict_1M_8Cpus, "strict")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Nvme, Lazy_1M_8Cpus, "lazy")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Nvme, Identity_1M_8Cpus, "identity")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace iommu_sim
