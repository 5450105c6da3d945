// Simulated translation latency per translation type and page size: an
// IOTLB hit; an IOTLB miss that resumes the walk from a paging-structure
// cache hit at the PDE, PDPTE or PML4E level (the caches below that level
// off, so that level is the lowest hit); and a cold walk with every cache
// off. Also the simulator's speed on the cold-walk stream of each, which is
// where the types differ (a hit costs the same in all). Run:
// build/bench/iommu_sim_bench --benchmark_filter=BM_Mode
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

// Which caches a stream runs with. `psc_from` is the lowest paging-structure
// cache level left on (2 = PDE ... 5 = PML5E; 6 = none).
struct Caches {
  bool iotlb = true;
  bool context = true;
  unsigned psc_from = 2;
};
struct PageCase {
  const char* name;
  std::uint64_t size;   // page size the tables use
  std::uint64_t span;   // bytes mapped and touched
  std::uint64_t guest;  // nested: guest memory (mapped with the same page size)
};
constexpr std::array<PageCase, 3> kPages{{{"4KiB", 4096, 16ull << 20, 64ull << 20},
                                          {"2MiB", 2ull << 20, 64ull << 20, 256ull << 20},
                                          {"1GiB", 1ull << 30, 1ull << 30, 3ull << 30}}};
constexpr std::array<const char*, 3> kTranslations{"first_level", "second_level", "nested"};
constexpr std::uint64_t kIova = 1ull << 30;

PlatformConfig mode_config(const std::string& translation, const PageCase& page, Caches caches,
                           std::uint64_t count, std::uint64_t span) {
  PlatformConfig c;
  c.address_spaces.clear();
  if (translation == "nested") {
    c.address_spaces.push_back({.name = "ram",
                                .translation = "second_level",
                                .page_size = page.size,
                                .mappings = {{.iova = 0, .size = page.guest}}});
    c.address_spaces.push_back({.name = "as0",
                                .translation = "nested",
                                .page_size = page.size,
                                .parent = "ram",
                                .mappings = {{.iova = kIova, .size = page.span}}});
  } else {
    c.address_spaces.push_back({.name = "as0",
                                .translation = translation,
                                .page_size = page.size,
                                .mappings = {{.iova = kIova, .size = page.span}}});
  }
  c.iommu.iotlb.enabled = caches.iotlb;
  c.iommu.context_cache.enabled = caches.context;
  c.iommu.pasid_cache.enabled = caches.context;
  for (PscParams* psc : {&c.iommu.fl_psc, &c.iommu.sl_psc}) {
    psc->pd.enabled = caches.psc_from <= 2;
    psc->pdpt.enabled = caches.psc_from <= 3;
    psc->pml4.enabled = caches.psc_from <= 4;
    psc->pml5.enabled = caches.psc_from <= 5;
  }
  auto& w = c.workloads[0];
  w.pattern = "random";
  w.base = kIova;
  w.span = span;
  w.count = count;
  return c;
}

// p50 of the translation latency of `count` DMAs, in simulated ns.
double p50_ns(const PlatformConfig& c) {
  start_fresh_kernel();
  Platform p(c);
  p.run();
  return p.iommu().translation_latency().percentile(0.5) / 1000.0;
}

void BM_Mode(benchmark::State& state, const std::string& translation, const PageCase& page) {
  const std::uint64_t count = 50000;
  const double hit = p50_ns(mode_config(translation, page, {}, 64, 4096));
  // The walk can resume below level L only if L is above the leaf level.
  const unsigned leaf_level = page.size == 4096 ? 1 : page.size == (2ull << 20) ? 2 : 3;
  for (unsigned level = 2; level <= 4; ++level) {
    const char* names[] = {"pde_hit_ns", "pdpte_hit_ns", "pml4e_hit_ns"};
    state.counters[names[level - 2]] =
        level > leaf_level
            ? p50_ns(mode_config(translation, page, {false, true, level}, 2000, page.span))
            : 0.0;
  }
  double cold = 0, reads = 0;
  for (auto _ : state) {
    state.PauseTiming();
    start_fresh_kernel();
    auto platform = std::make_unique<Platform>(
        mode_config(translation, page, {false, false, 6}, count, page.span));
    state.ResumeTiming();
    platform->run();
    state.PauseTiming();
    cold = platform->iommu().translation_latency().percentile(0.5) / 1000.0;
    reads = static_cast<double>(platform->stats().counter_value("iommu.walk.memory_reads")) /
            static_cast<double>(count);
    platform.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  state.counters["hit_ns"] = hit;
  state.counters["cold_walk_ns"] = cold;
  state.counters["cold_reads"] = reads;
}

const bool registered = [] {
  for (const char* t : kTranslations) {
    for (const PageCase& page : kPages) {
      const std::string name = std::string("BM_Mode/") + t + "/" + page.name;
      benchmark::RegisterBenchmark(name.c_str(), BM_Mode, std::string(t), page)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace iommu_sim
