// Trace replay speed (docs/trace.md): a 10 M-DMA binary trace, written by
// the benchmark itself into the temporary directory, read alone and
// replayed on the default platform. Items per second are records read, or
// DMAs replayed, per wall-second.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <systemc>

#include "model/kernel.h"
#include "model/platform/platform_trace.h"

namespace iommu_sim {
namespace {

constexpr std::uint64_t kDmas = 10'000'000;

// Random 64-byte reads by nic0 over the default 1 MiB mapping, `gap_ns`
// apart; written once per gap and reused.
const std::string& trace_path(std::uint64_t gap_ns) {
  static std::map<std::uint64_t, std::string> paths;
  auto [it, fresh] = paths.try_emplace(gap_ns);
  if (!fresh) return it->second;
  it->second = (std::filesystem::temp_directory_path() /
                ("iommu_sim_bench_" + std::to_string(gap_ns) + "ns.bin"))
                   .string();
  TraceFileWriter writer(it->second, {"nic0"});
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> slot(0, (1u << 20) / 64 - 1);
  for (std::uint64_t i = 0; i < kDmas; ++i) {
    writer.write({.time_ps = i * gap_ns * 1000,
                  .address = 0x100000 + slot(rng) * 64,
                  .size = 64,
                  .pasid = 1,
                  .pasid_present = true});
  }
  writer.commit();
  return it->second;
}

void BM_TraceBinaryRead(benchmark::State& state) {
  const std::string& path = trace_path(500);
  for (auto _ : state) {
    auto reader = open_trace_reader(path);
    std::uint64_t sum = 0;
    for (TraceRecord r; reader->next(r);) sum += r.address;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kDmas));
}

// The default platform replaying the trace: honour timing with DMAs 500 ns
// apart (after the first walks one takes at most 401.2 ns on this
// platform, so they do not overlap) or 100 ns apart (about four in
// flight), or asap (32 tags).
void replay_trace(benchmark::State& state, std::uint64_t gap_ns, TraceTiming timing) {
  const std::string& path = trace_path(gap_ns);
  PlatformConfig config;
  config.workloads.clear();
  const TraceTargets targets = trace_targets(config);
  const TraceSummary summary = scan_trace(path, &targets);
  std::uint64_t completed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    start_fresh_kernel();
    auto platform = std::make_unique<Platform>(config);
    auto replay =
        std::make_unique<PlatformReplay>(*platform, open_trace_reader(path), summary, timing);
    state.ResumeTiming();
    platform->run();
    state.PauseTiming();
    completed = replay->devices().front()->completed();
    replay.reset();
    platform.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kDmas));
  state.counters["completed"] = static_cast<double>(completed);
}

void BM_TraceReplay_Honour_500ns(benchmark::State& st) {
  replay_trace(st, 500, TraceTiming::Honour);
}
void BM_TraceReplay_Honour_100ns(benchmark::State& st) {
  replay_trace(st, 100, TraceTiming::Honour);
}
void BM_TraceReplay_Asap(benchmark::State& st) {
  replay_trace(st, 500, TraceTiming::Asap);
}

BENCHMARK(BM_TraceBinaryRead)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TraceReplay_Honour_500ns)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TraceReplay_Honour_100ns)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TraceReplay_Asap)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace iommu_sim
