// The host cost of what a set-up builds, measured: the two constants
// model/platform/resource_estimate.h charges when it refuses a set-up larger
// than the machine (docs/reliability.md, "Resource bounds"). Each benchmark
// builds a platform twice, small and large, and divides the growth of the
// resident set by the entries the large one adds. Run:
//   build/bench/iommu_sim_bench --benchmark_filter=BM_Resources
// Counters: bytes_per_entry (measured), estimate_bytes (the constant),
// host_per_simulated (leaves: host bytes per simulated 8-byte entry) and,
// for the mapping, set_up_ns_per_leaf.
#include <benchmark/benchmark.h>

#include "bench/measured_build.h"
#include "model/platform/resource_estimate.h"

namespace iommu_sim {
namespace {

// IOTLB of 16,384 sets x 64 ways (1 Mi entries, the largest a config takes)
// against the default 16 x 4.
void BM_Resources_CacheEntry(benchmark::State& state) {
  PlatformConfig small;
  PlatformConfig large;
  large.iommu.iotlb.sets = 16384;
  large.iommu.iotlb.ways = 64;
  const double added = 16384.0 * 64 - 16.0 * 4;
  double per_entry = 0;
  for (auto _ : state) {
    const Measured s = measure(set_up_only(small));
    const Measured l = measure(set_up_only(large));
    per_entry = (l.bytes - s.bytes) / added;
  }
  state.counters["bytes_per_entry"] = per_entry;
  state.counters["estimate_bytes"] = kBytesPerCacheEntry;
}
BENCHMARK(BM_Resources_CacheEntry)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// A second mapping, of 16 GiB of 4 KiB pages (4 Mi leaves) from 4 GiB up
// (above the interrupt range), against the default's one: the set-up writes
// every leaf and its upper levels.
void BM_Resources_MappingLeaf(benchmark::State& state) {
  PlatformConfig small;
  PlatformConfig large;
  large.address_spaces[0].mappings.push_back({.iova = 4ull << 30, .size = 16ull << 30});
  const auto& m = large.address_spaces[0].mappings[1];
  const double added = leaf_entries(m.iova, m.size, large.address_spaces[0].page_size);
  double per_leaf = 0, ns_per_leaf = 0;
  for (auto _ : state) {
    const Measured s = measure(set_up_only(small));
    const Measured l = measure(set_up_only(large));
    per_leaf = (l.bytes - s.bytes) / added;
    ns_per_leaf = (l.seconds - s.seconds) * 1e9 / added;
  }
  state.counters["bytes_per_entry"] = per_leaf;
  state.counters["estimate_bytes"] = kBytesPerLeaf;
  state.counters["host_per_simulated"] = per_leaf / 8;
  state.counters["set_up_ns_per_leaf"] = ns_per_leaf;
}
BENCHMARK(BM_Resources_MappingLeaf)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace iommu_sim
