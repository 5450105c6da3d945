// Simulated translation latency per translation type and page size (hit,
// IOTLB miss with warm context and PASID caches, cold walk with every cache
// off), and the simulator's speed on the cold-walk stream of each, which is
// where the types differ (a hit costs the same in all). Run:
// build/bench/iommu_sim_bench --benchmark_filter=BM_Mode
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

enum class Caches { All, NoIotlb, None };

struct PageCase {
  const char* name;
  std::uint64_t size;   // page size the tables use
  std::uint64_t span;   // bytes mapped and touched
  std::uint64_t guest;  // nested: guest memory (mapped with the same page size)
};
constexpr std::array<PageCase, 3> kPages{{{"4KiB", 4096, 16ull << 20, 64ull << 20},
                                          {"2MiB", 2ull << 20, 64ull << 20, 256ull << 20},
                                          {"1GiB", 1ull << 30, 1ull << 30, 4ull << 30}}};
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
  c.iommu.iotlb.enabled = caches == Caches::All;
  c.iommu.context_cache.enabled = caches != Caches::None;
  c.iommu.pasid_cache.enabled = caches != Caches::None;
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
  const double hit = p50_ns(mode_config(translation, page, Caches::All, 64, 4096));
  const double miss = p50_ns(mode_config(translation, page, Caches::NoIotlb, 64, page.span));
  double cold = 0, reads = 0;
  for (auto _ : state) {
    state.PauseTiming();
    start_fresh_kernel();
    auto platform =
        std::make_unique<Platform>(mode_config(translation, page, Caches::None, count, page.span));
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
  state.counters["iotlb_miss_ns"] = miss;
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
