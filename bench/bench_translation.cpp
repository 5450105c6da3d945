// Google Benchmark suite: simulated translation latencies (reported as
// counters in simulated ns) and simulator speed (DMAs per wall-second), in
// Timed and Functional mode. Run: build/bench/iommu_sim_bench
#include <benchmark/benchmark.h>

#include <random>
#include <systemc>

#include "bench/repo_config.h"
#include "bench/resident_memory.h"
#include "iommu/iotlb.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

enum class Stream { AllHit, IotlbMiss, ColdWalk };

PlatformConfig stream_config(Stream s, const char* mode, std::uint64_t count) {
  PlatformConfig c;
  c.mode = mode;
  auto& w = c.workloads[0];
  w.count = count;
  w.pattern = "random";
  if (s == Stream::AllHit) {
    w.span = 4096;  // one page: every DMA after the first hits
  } else {
    // Every DMA misses the IOTLB and walks all four levels (no
    // paging-structure caches); ColdWalk also turns off the context and
    // PASID caches, so each DMA reads all eight structures.
    c.iommu.iotlb.enabled = false;
    for (PscParams* psc : {&c.iommu.fl_psc, &c.iommu.sl_psc}) {
      psc->pd.enabled = psc->pdpt.enabled = psc->pml4.enabled = psc->pml5.enabled = false;
    }
    if (s == Stream::ColdWalk) {
      c.iommu.context_cache.enabled = false;
      c.iommu.pasid_cache.enabled = false;
    }
  }
  return c;
}

void run_config(benchmark::State& state, const PlatformConfig& config) {
  const std::uint64_t count = config.workloads[0].count;
  double sim_ns_per_translation = 0;
  for (auto _ : state) {
    state.PauseTiming();
    start_fresh_kernel();
    auto platform = std::make_unique<Platform>(config);
    state.ResumeTiming();
    platform->run();
    state.PauseTiming();
    sim_ns_per_translation = platform->iommu().translation_latency().percentile(0.5) / 1000.0;
    platform.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  state.counters["sim_translation_p50_ns"] = sim_ns_per_translation;
}

void run_stream(benchmark::State& state, Stream s, const char* mode, bool oracle = false) {
  PlatformConfig config = stream_config(s, mode, 200000);
  config.oracle.enabled = oracle;
  run_config(state, config);
}

// Issue 18's functional cases, on the configs in bench/configs/ that
// scripts/instructions.sh counts the instructions of.
void run_file(benchmark::State& state, const char* name) {
  const auto config = repo_config(std::string("bench/configs/") + name);
  if (!config || !validate(*config).empty()) {
    state.SkipWithError((std::string("cannot load bench/configs/") + name).c_str());
    return;
  }
  run_config(state, *config);
}

void BM_Timed_AllHit(benchmark::State& st) {
  run_stream(st, Stream::AllHit, "timed");
}
void BM_Timed_IotlbMiss(benchmark::State& st) {
  run_stream(st, Stream::IotlbMiss, "timed");
}
void BM_Timed_ColdWalk(benchmark::State& st) {
  run_stream(st, Stream::ColdWalk, "timed");
}
void BM_Functional_AllHit(benchmark::State& st) {
  run_file(st, "functional_all_hit.json");
}
void BM_Functional_ColdWalk(benchmark::State& st) {
  run_file(st, "functional_cold_walk.json");
}
void BM_Functional_NestedColdWalk(benchmark::State& st) {
  run_file(st, "functional_nested_cold_walk.json");
}
// The oracle's cost: one reference walk of the tables in memory per DMA.
void BM_Timed_AllHit_Oracle(benchmark::State& st) {
  run_stream(st, Stream::AllHit, "timed", true);
}
BENCHMARK(BM_Timed_AllHit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Timed_AllHit_Oracle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Timed_IotlbMiss)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Timed_ColdWalk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Functional_AllHit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Functional_ColdWalk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Functional_NestedColdWalk)->Unit(benchmark::kMillisecond)->UseRealTime();

// Host memory against what the simulation holds: 256 MiB mapped with 4 KiB
// pages and written once, page by page, by 4 KiB DMAs.
void BM_MemoryFootprint(benchmark::State& state) {
  double ratio = 0, simulated_mib = 0;
  for (auto _ : state) {
    start_fresh_kernel();
    const double before = resident_bytes();
    PlatformConfig c;
    c.address_spaces[0].mappings[0].size = 256ull << 20;
    auto& w = c.workloads[0];
    w.pattern = "sequential";
    w.size = 4096;
    w.span = 256ull << 20;
    w.count = w.span / w.size;
    w.write_fraction = 1.0;
    auto platform = std::make_unique<Platform>(c);
    platform->run();
    const double after = resident_bytes();
    const double simulated = platform->memory().store().bytes_allocated();
    simulated_mib = simulated / (1 << 20);
    ratio = (after - before) / simulated;
  }
  state.counters["simulated_MiB"] = simulated_mib;
  state.counters["host_over_simulated"] = ratio;
}
BENCHMARK(BM_MemoryFootprint)->Unit(benchmark::kMillisecond)->Iterations(1);

// Simulated latencies of single translations on an idle platform (the
// values the timing tests pin by hand), as counters.
void BM_SimulatedLatency(benchmark::State& state) {
  double hit = 0, cold = 0, warm_miss = 0;
  for (auto _ : state) {
    start_fresh_kernel();
    PlatformConfig c;
    auto& w = c.workloads[0];
    w.pattern = "sequential";
    // Page 0 cold (8 reads), page 0 hits x63, page 1 misses the IOTLB and
    // hits the PDE cache (1 read).
    w.count = 65;
    Platform p(c);
    p.run();
    const Histogram& h = p.iommu().translation_latency();
    hit = h.min() / 1000.0;
    cold = h.max() / 1000.0;
    warm_miss = h.percentile(63.5 / 65) / 1000.0;  // the 64th of 65 samples
  }
  state.counters["hit_ns"] = hit;
  state.counters["iotlb_miss_pde_hit_ns"] = warm_miss;
  state.counters["cold_walk_ns"] = cold;
}
BENCHMARK(BM_SimulatedLatency)->Iterations(1);

// Host cost of one IOTLB probe that hits, for a sets x ways geometry
// (args), with every entry resident and probed in a random order: the
// scan of a small set against the tag index of a fully associative one.
void BM_IotlbProbeHit(benchmark::State& state) {
  StatsRegistry stats;
  const CacheParams params{true, static_cast<std::uint32_t>(state.range(0)),
                           static_cast<std::uint32_t>(state.range(1))};
  Iotlb tlb(params, stats, "tlb");
  const std::uint64_t entries = std::uint64_t{params.sets} * params.ways;
  // Consecutive pages spread evenly over the sets, so all of them fit.
  for (std::uint64_t p = 0; p < entries; ++p) tlb.insert(1, 1, p << 12, IotlbEntry{p << 12});
  std::vector<std::uint64_t> order(1 << 16);
  std::mt19937_64 rng(1);
  for (auto& iova : order) iova = (rng() % entries) << 12;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tlb.lookup(1, 1, order[i]));
    i = (i + 1) & (order.size() - 1);
  }
  if (tlb.misses() != 0) state.SkipWithError("a resident page missed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IotlbProbeHit)
    ->ArgNames({"sets", "ways"})
    ->Args({16, 4})
    ->Args({8, 8})
    ->Args({4, 16})
    ->Args({1, 64})
    ->Args({1, 512})
    ->Args({1, 4096});

}  // namespace
}  // namespace iommu_sim

int sc_main(int argc, char** argv) {
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
