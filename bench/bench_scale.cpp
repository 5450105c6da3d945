// How the cost of one run grows with what it simulates (issue 17), at 1x, 4x
// and 16x of three things a large server has many of:
//   pages     one address space of 65,536 / 262,144 / 1,048,576 mapped 4 KiB
//             pages (256 MiB to 4 GiB), 200,000 random 64 B reads over all
//             of it (nearly every one an IOTLB miss and a walk);
//   functions 64 / 256 / 1,024 PCIe functions (8-function endpoints behind
//             switch downstream ports), each with a workload of its own
//             issuing 1,000 reads;
//   pasids    4,095 / 16,380 / 65,520 PASIDs of one function, each attached
//             to an address space of its own (65,535 domain IDs is what a
//             16-bit domain ID offers, ID 0 reserved), and 64 workloads on
//             PASIDs spread over them, 200,000 reads in all.
// And the config file of the PASID case read and checked (BM_Scale_ConfigRead).
// Each size is built and run twice: once with every workload cut to one DMA
// (the set-up: enumeration, tables, binds and attaches) and once in full; the
// difference is the DMAs' cost. The smallest platform of the same shape (one
// page, one PASID, one 8-function endpoint) is the base that marginal costs
// are measured against. Run:
//   build/bench/iommu_sim_bench --benchmark_filter=BM_Scale
// Counters: set_up_s; set_up_us_per_unit (marginal); ns_per_dma; resident_MiB
// (the process's growth while the full run was built and run: its peak, as
// nothing is freed before the end); host_per_simulated (marginal resident
// growth over the marginal simulated frames, tables and touched data, 4 KiB
// each); KiB_per_unit (marginal resident growth per page, function or PASID).
#include <benchmark/benchmark.h>

#include <chrono>
#include <functional>
#include <string>

#include "bench/measured_build.h"
#include "model/json_input.h"

namespace iommu_sim {
namespace {

// prefix followed by n ("sw3"); appended rather than `"sw" + to_string(n)`,
// which GCC 12 warns of wrongly (a -Wrestrict false positive).
std::string named(std::string prefix, std::uint32_t n) {
  prefix += std::to_string(n);
  return prefix;
}

// 4 KiB pages from 4 GiB up (above the interrupt window).
PlatformConfig pages_config(std::uint64_t pages) {
  constexpr std::uint64_t kBase = 4ull << 30;
  PlatformConfig c;
  c.address_spaces[0].mappings[0] = {.iova = kBase, .size = pages * 4096};
  auto& w = c.workloads[0];
  w.base = kBase;
  w.span = pages * 4096;
  w.count = 200000;
  return c;
}

// functions / 8 (a multiple of 8) endpoints of 8 functions, each on a downstream port of one
// of 8 switches. Each function's workload starts 20 ns after the last one's
// and waits functions x 20 ns between its DMAs: the offered load is the same
// at every size (a DMA per 20 ns), so the IOMMU is never a queue and a DMA
// is the same simulated work at every size. The context and PASID caches
// are fully associative and hold every function: sized by the default,
// functions would evict each other (the set index is the requester ID's low
// bits), and the runs would differ in what they simulate, not in how many.
PlatformConfig functions_config(std::uint32_t functions) {
  PlatformConfig c;
  c.pcie.endpoints.clear();
  c.attach.clear();
  c.workloads.clear();
  c.address_spaces[0].mappings[0] = {.iova = 0x100000, .size = 1ull << 20};
  const std::uint32_t endpoints = functions / 8;
  const std::uint32_t switches = std::min(8u, endpoints);
  for (std::uint32_t s = 0; s < switches; ++s) {
    const std::string sw = named("sw", s);
    c.pcie.ports.push_back({.name = named("rp", s), .kind = "root_port"});
    c.pcie.ports.push_back({.name = sw, .kind = "switch_upstream", .parent = named("rp", s)});
  }
  for (std::uint32_t e = 0; e < endpoints; ++e) {
    const std::string port = named("sw", e % switches) + ".d" + std::to_string(e);
    c.pcie.ports.push_back(
        {.name = port, .kind = "downstream_port", .parent = named("sw", e % switches)});
    c.pcie.endpoints.push_back(
        {.name = named("e", e), .parent = port, .functions = 8, .bar_size = 64ull << 10});
  }
  for (std::uint32_t f = 0; f < functions; ++f) {
    const std::string name = named("e", f / 8) + "." + std::to_string(f % 8);
    c.attach.push_back({name, 1, "as0"});
    c.workloads.push_back({.name = named("w", f),
                           .device = name,
                           .span = 4096,
                           .count = 1000,
                           .start_ns = 20.0 * f,
                           .gap_ns = 20.0 * functions});
  }
  c.iommu.context_cache.sets = c.iommu.pasid_cache.sets = 1;
  c.iommu.context_cache.ways = c.iommu.pasid_cache.ways = 2048;
  return c;
}

// PASIDs 1..n of nic0, PASID p attached to address space p - 1, each with
// one 4 KiB page mapped; the workloads use PASIDs spread evenly over them.
PlatformConfig pasids_config(std::uint32_t pasids) {
  PlatformConfig c;
  c.address_spaces.clear();
  c.attach.clear();
  for (std::uint32_t p = 1; p <= pasids; ++p) {
    const std::string name = named("as", p);
    c.address_spaces.push_back({.name = name, .mappings = {{.iova = 0x100000, .size = 4096}}});
    c.attach.push_back({"nic0", p, name});
  }
  const std::uint32_t workloads = std::min(pasids, 64u);
  c.workloads.clear();
  for (std::uint32_t w = 0; w < workloads; ++w) {
    c.workloads.push_back({.name = named("w", w),
                           .device = "nic0",
                           .pasid = 1 + w * (pasids / workloads),
                           .span = 4096,
                           .count = 200000 / workloads});
  }
  return c;
}

// `tables`: the unit's host memory is its simulated tables (pages, PASIDs),
// so host_per_simulated is the measure of it; a function's is the model's
// own state (its endpoint, link and DMA engine), given as KiB_per_unit.
void BM_Scale(benchmark::State& state, const std::function<PlatformConfig(std::uint32_t)>& make,
              std::uint32_t base_units, bool tables) {
  const auto units = static_cast<std::uint32_t>(state.range(0));
  const PlatformConfig config = make(units);
  if (const auto errors = validate(config); !errors.empty()) {
    state.SkipWithError(errors[0].to_string().c_str());
    return;
  }
  const Measured base = measure(set_up_only(make(base_units)));
  Measured set_up, full;
  for (auto _ : state) {
    set_up = measure(set_up_only(config));
    full = measure(config);
    state.SetIterationTime(full.seconds);
  }
  const double added = units - base_units;
  state.counters["set_up_s"] = set_up.seconds;
  state.counters["set_up_us_per_unit"] = (set_up.seconds - base.seconds) * 1e6 / added;
  state.counters["ns_per_dma"] = (full.seconds - set_up.seconds) * 1e9 / (full.dmas - set_up.dmas);
  state.counters["resident_MiB"] = full.bytes / (1 << 20);
  state.counters["KiB_per_unit"] = (full.bytes - base.bytes) / 1024 / added;
  if (tables) {
    state.counters["host_per_simulated"] =
        (full.bytes - base.bytes) / ((full.frames - base.frames) * 4096);
  }
}

// Reading the PASID configs as a user's file: the JSON text of 4,095 to
// 65,520 address spaces and attachments parsed, loaded and validated (where
// nlohmann-json's callback parser was quadratic). Counter: us_per_unit.
void BM_Scale_ConfigRead(benchmark::State& state) {
  const auto units = static_cast<std::uint32_t>(state.range(0));
  PlatformConfig source = pasids_config(units);
  const std::string text = dump_config(source).dump();
  std::chrono::duration<double> took{};
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    const auto json = parse_json(text, error);
    PlatformConfig c;
    if (!json || !load_config(*json, c).empty()) {
      state.SkipWithError("the dumped config does not load");
      return;
    }
    benchmark::DoNotOptimize(validate(c));
    took += std::chrono::steady_clock::now() - start;
  }
  state.counters["us_per_unit"] =
      took.count() * 1e6 / static_cast<double>(state.iterations()) / units;
}
BENCHMARK(BM_Scale_ConfigRead)->Arg(4095)->Arg(16380)->Arg(65520)->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(BM_Scale, pages, pages_config, 1, true)
    ->Arg(65536)
    ->Arg(262144)
    ->Arg(1048576)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Scale, functions, functions_config, 8, false)
    ->Arg(64)
    ->Arg(256)
    ->Arg(1024)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Scale, pasids, pasids_config, 1, true)
    ->Arg(4095)
    ->Arg(16380)
    ->Arg(65520)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace iommu_sim
