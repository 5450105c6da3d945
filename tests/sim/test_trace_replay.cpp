// Trace replay and recording (docs/trace.md): DMAs enter their endpoints at
// their timestamps, a recorded run replays to the same IOMMU and memory
// statistics, map and unmap records change what translates, asap timing
// keeps a device within its tags, and the command line refuses bad traces.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/platform/platform_trace.h"
#include "tests/support/cli.h"
#include "tests/support/dma_probe.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim::test {
namespace {

namespace fs = std::filesystem;
using sc_core::SC_NS;
using sc_core::sc_time;

std::string temp_path(const std::string& name) {
  return (test::temp_dir() / name).string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `config` with every DMA recorded into `trace`; returns stats.json.
nlohmann::json run_recorded(const PlatformConfig& config, const std::string& trace) {
  start_fresh_kernel();
  Platform p(config);
  TraceRecorder recorder(trace, trace_functions(p));
  record_dmas(p, recorder);
  p.run();
  recorder.commit();
  return p.stats_json();
}

struct Replay {
  std::unique_ptr<Platform> platform;
  std::unique_ptr<PlatformReplay> replay;
  std::unique_ptr<TraceRecorder> recorder;

  std::uint64_t stat(const std::string& name) { return platform->stats().counter_value(name); }
};

// Replays `trace` on `config`'s platform in place of its workloads, with
// its DMAs recorded again into `record` if given.
Replay replay(PlatformConfig config, const std::string& trace, TraceTiming timing,
              const std::string& record = "") {
  config.workloads.clear();
  const TraceTargets targets = trace_targets(config);
  const TraceSummary summary = scan_trace(trace, &targets);
  start_fresh_kernel();
  Replay r;
  r.platform = std::make_unique<Platform>(config);
  r.replay =
      std::make_unique<PlatformReplay>(*r.platform, open_trace_reader(trace), summary, timing);
  if (!record.empty()) {
    r.recorder = std::make_unique<TraceRecorder>(record, trace_functions(*r.platform));
    record_dmas(*r.platform, *r.recorder);
  }
  r.platform->run();
  if (r.recorder) r.recorder->commit();
  EXPECT_EQ(r.replay->replayer().error(), "");
  return r;
}

// The iommu.* and memory.* statistics of a stats.json.
nlohmann::json iommu_and_memory(const nlohmann::json& stats_json) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : stats_json.at("stats").items()) {
    if (name.starts_with("iommu.") || name.starts_with("memory.")) out[name] = value;
  }
  return out;
}

const std::string kHeader = "time_ns,device,pasid,address,size,op\n";

TEST(TraceReplay, HandWrittenDmasEnterTheEndpointAtTheirTimestamps) {
  // Three reads of one page on the latency-link platform: the first walks;
  // the other two hit the IOTLB, 0.5 ns apart, so the third issues while
  // the second is in flight. Unloaded, a hit takes 2 x 100 ns of links, 20
  // ns of root complex, 3 ns of lookup and 80 + 64 B / 16 GB/s = 84 ns of
  // memory: 307 ns. The third finds the memory channel busy with the
  // second's 4 ns transfer for 3.5 ns more: 310.5 ns, ending at 5311 ns.
  const std::string trace =
      test::write_temp("iommu_sim_three.csv", kHeader +
                                                  "1000,nic0,1,0x100000,64,read\n"
                                                  "5000,nic0,1,0x100040,64,read\n"
                                                  "5000.5,nic0,1,0x100080,64,read\n");
  const std::string again = temp_path("iommu_sim_three_again.csv");
  Replay r = replay(timing_config_without_workloads(), trace, TraceTiming::Honour, again);
  EXPECT_EQ(r.stat("replay.nic0.issued"), 3u);
  EXPECT_EQ(r.stat("replay.nic0.completed"), 3u);
  EXPECT_EQ(r.stat("replay.nic0.bytes"), 3u * 64);
  const Histogram& latency = r.replay->devices().front()->latency();
  EXPECT_EQ(latency.count_of(sc_time(307, SC_NS).value()), 1u);
  EXPECT_EQ(latency.count_of(sc_time(310.5, SC_NS).value()), 1u);
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(5311, SC_NS));
  // Recorded as they entered the endpoint: the same three records.
  EXPECT_EQ(read_bytes(again), read_bytes(trace));
}

TEST(TraceReplay, ReplayingARecordingReproducesEveryIommuAndMemoryStatistic) {
  // The default platform (100 000 random reads, one in flight), and two
  // devices with random addresses and writes, one DMA in flight each.
  PlatformConfig two;
  two.pcie.endpoints = {{.name = "nic0"}, {.name = "ssd0"}};
  two.address_spaces = {{.name = "net", .mappings = {{.iova = 0x100000, .size = 2u << 20}}},
                        {.name = "storage", .mappings = {{.iova = 0x40000000, .size = 16u << 20}}}};
  two.attach = {{"nic0", 1, "net"}, {"ssd0", 1, "storage"}};
  two.workloads = {{.name = "rx",
                    .device = "nic0",
                    .span = 2u << 20,
                    .count = 20000,
                    .size = 256,
                    .write_fraction = 0.3},
                   {.name = "io",
                    .device = "ssd0",
                    .base = 0x40000000,
                    .span = 16u << 20,
                    .count = 10000,
                    .size = 512,
                    .write_fraction = 0.5}};
  for (const PlatformConfig& config : {PlatformConfig{}, two}) {
    SCOPED_TRACE(config.workloads.size());
    const std::string trace = temp_path("iommu_sim_recorded.bin");
    const std::string again = temp_path("iommu_sim_recorded_again.bin");
    const nlohmann::json original = run_recorded(config, trace);
    Replay r = replay(config, trace, TraceTiming::Honour, again);
    const nlohmann::json replayed = r.platform->stats_json();
    const nlohmann::json expected = iommu_and_memory(original);
    ASSERT_GT(expected.size(), 100u);
    EXPECT_EQ(iommu_and_memory(replayed), expected);
    EXPECT_EQ(replayed.at("simulated_time_ns"), original.at("simulated_time_ns"));
    EXPECT_EQ(read_bytes(again), read_bytes(trace));
  }
}

TEST(TraceReplay, OverlappingDmasEnterTheirEndpointsAtTheirRecordedTimes) {
  // configs/two_devices_mixed.json: 8 and 4 DMAs in flight. Replayed, every
  // DMA enters its endpoint at its recorded time and in its recorded
  // order, so its recording is the original's byte for byte.
  PlatformConfig config;
  std::ifstream in(IOMMU_SIM_SOURCE_DIR "/configs/two_devices_mixed.json");
  ASSERT_TRUE(load_config(nlohmann::json::parse(in), config).empty());
  const std::string trace = temp_path("iommu_sim_mixed.bin");
  const std::string again = temp_path("iommu_sim_mixed_again.bin");
  const nlohmann::json original = run_recorded(config, trace);
  Replay r = replay(config, trace, TraceTiming::Honour, again);
  EXPECT_EQ(read_bytes(again), read_bytes(trace));
  EXPECT_EQ(r.stat("replay.nic0.completed"), 50000u);
  EXPECT_EQ(r.stat("replay.ssd0.completed"), 20000u);
  EXPECT_EQ(r.platform->stats_json().at("simulated_time_ns"), original.at("simulated_time_ns"));
  EXPECT_GE(r.replay->replayer().threads(), 12u);  // at least 8 + 4 in flight at once
}

TEST(TraceReplay, RecordingChangesNoStatistic) {
  PlatformConfig config;
  std::ifstream in(IOMMU_SIM_SOURCE_DIR "/configs/two_devices_mixed.json");
  ASSERT_TRUE(load_config(nlohmann::json::parse(in), config).empty());
  start_fresh_kernel();
  Platform plain(config);
  plain.run();
  const std::string without = plain.stats_json().dump();
  EXPECT_EQ(run_recorded(config, temp_path("iommu_sim_unchanged.csv")).dump(), without);
}

TEST(TraceReplay, MapAndUnmapRecordsChangeWhatTranslates) {
  // 0x400000 is outside the default mapping: the first read faults (0x71,
  // first-level entry not present), the one after the map completes, the
  // one after the unmap faults again.
  const std::string trace =
      test::write_temp("iommu_sim_map_unmap.csv", kHeader +
                                                      "0,nic0,1,0x400000,64,read\n"
                                                      "1000,nic0,1,0x400000,4096,map\n"
                                                      "2000,nic0,1,0x400040,64,write\n"
                                                      "3000,nic0,1,0x400000,4096,unmap\n"
                                                      "4000,nic0,1,0x400080,64,read\n");
  Replay r = replay(timing_config_without_workloads(), trace, TraceTiming::Honour);
  EXPECT_EQ(r.stat("replay.nic0.completed"), 1u);
  EXPECT_EQ(r.stat("replay.nic0.faulted"), 2u);
  EXPECT_EQ(r.stat("iommu.faults.reason.0x71"), 2u);
  EXPECT_EQ(r.stat("replay.host_events.maps"), 1u);
  EXPECT_EQ(r.stat("replay.host_events.unmaps"), 1u);
  EXPECT_EQ(r.stat("replay.host_events.failed"), 0u);
  EXPECT_EQ(r.platform->oracle().violations(), 0u);
}

TEST(TraceReplay, AFailedMapIsCountedAndNamed) {
  // 0x100000 is mapped already: EEXIST.
  const std::string trace =
      test::write_temp("iommu_sim_map_twice.csv", kHeader + "250,nic0,1,0x100000,4096,map\n");
  Replay r = replay(timing_config_without_workloads(), trace, TraceTiming::Honour);
  EXPECT_EQ(r.stat("replay.host_events.failed"), 1u);
  EXPECT_TRUE(r.replay->replayer().first_host_failure().starts_with("at 250 ns, map nic0: EEXIST"))
      << r.replay->replayer().first_host_failure();
}

// `n` 64-byte reads of the page at 0x100000, 1 ms apart.
std::string spaced_reads(const std::string& name, int n) {
  std::string text = kHeader;
  for (int i = 0; i < n; ++i) {
    char line[64];
    std::snprintf(line, sizeof line, "%d000000,nic0,1,0x%x,64,read\n", i, 0x100000 + i % 64 * 64);
    text += line;
  }
  return test::write_temp(name, text);
}

TEST(TraceReplay, AsapIgnoresTimestampsAndKeepsTheTagsInFlight) {
  const std::string trace = spaced_reads("iommu_sim_asap.csv", 200);
  PlatformConfig c = timing_config_without_workloads();
  c.pcie.endpoints[0].tags = 1;
  // One tag: one read at a time, back to back, so the run lasts exactly
  // the sum of the latencies, far from the trace's 199 ms.
  Replay one = replay(c, trace, TraceTiming::Asap);
  EXPECT_EQ(one.stat("replay.nic0.completed"), 200u);
  EXPECT_EQ(sc_core::sc_time_stamp().value(), one.replay->devices().front()->latency().sum());
  // Four tags: four in flight, never a read waiting at the endpoint for a
  // tag, and four times as fast once the first walk is done.
  c.pcie.endpoints[0].tags = 4;
  Replay four = replay(c, trace, TraceTiming::Asap);
  EXPECT_EQ(four.stat("replay.nic0.completed"), 200u);
  EXPECT_EQ(four.stat("pcie.nic0.tag_waits"), 0u);
  EXPECT_LT(sc_core::sc_time_stamp().value(), four.replay->devices().front()->latency().sum() / 3);
}

TEST(TraceReplay, AsapAppliesAnUnmapAfterTheDevicesDmasInFlight) {
  // Four reads in flight when the unmap comes: it waits for them (all
  // complete), and the read after it faults.
  const std::string trace =
      test::write_temp("iommu_sim_asap_unmap.csv", kHeader +
                                                       "0,nic0,1,0x100000,64,read\n"
                                                       "0,nic0,1,0x100040,64,read\n"
                                                       "0,nic0,1,0x100080,64,read\n"
                                                       "0,nic0,1,0x1000c0,64,read\n"
                                                       "0,nic0,1,0x100000,1048576,unmap\n"
                                                       "0,nic0,1,0x100100,64,read\n");
  Replay r = replay(timing_config_without_workloads(), trace, TraceTiming::Asap);
  EXPECT_EQ(r.stat("replay.nic0.completed"), 4u);
  EXPECT_EQ(r.stat("replay.nic0.faulted"), 1u);
  EXPECT_EQ(r.platform->oracle().violations(), 0u);
}

TEST(TraceCli, ReplayRecordAndConvertFromTheCommandLine) {
  const std::string dir = temp_path("iommu_sim_trace_cli");
  fs::remove_all(dir);
  const auto recorded =
      run_command("--quiet --config " IOMMU_SIM_SOURCE_DIR "/configs/default.json --record " + dir +
                  "/run.bin --out " + dir);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.output;
  const auto converted = run_command("trace convert " + dir + "/run.bin " + dir + "/run.csv");
  ASSERT_EQ(converted.exit_code, 0) << converted.output;
  EXPECT_NE(converted.output.find("converted 100000 records"), std::string::npos);
  const auto replayed = run_command("replay " + dir + "/run.csv --timing honour --out " + dir +
                                    "/replay --record " + dir + "/again.bin");
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_NE(replayed.output.find("replay nic0             100000 DMAs (completed 100000"),
            std::string::npos)
      << replayed.output;
  EXPECT_EQ(read_bytes(dir + "/again.bin"), read_bytes(dir + "/run.bin"));
  const auto stats = nlohmann::json::parse(read_bytes(dir + "/replay/stats.json"));
  EXPECT_EQ(stats.at("replay").at("timing"), "honour");
  EXPECT_EQ(stats.at("config").at("workloads").size(), 0u);
}

TEST(TraceCli, BadTracesExitTwoAndWriteNothing) {
  const std::string dir = temp_path("iommu_sim_trace_bad");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string bad =
      test::write_temp("iommu_sim_gpu9.csv", kHeader +
                                                 "0,nic0,1,0x100000,64,read\n"
                                                 "10,gpu9,1,0x100000,64,read\n");
  const auto unknown =
      run_command("replay " + bad + " --out " + dir + "/out --record " + dir + "/rec.csv");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("iommu-sim: trace error: " + bad +
                                ":3: device: no endpoint named \"gpu9\""),
            std::string::npos)
      << unknown.output;
  EXPECT_TRUE(fs::is_empty(dir));
  const auto functional = run_command("--mode functional --record " + dir + "/rec.csv");
  EXPECT_EQ(functional.exit_code, 2);
  EXPECT_NE(functional.output.find("timed mode only"), std::string::npos) << functional.output;
  EXPECT_EQ(run_command("--record " + dir + "/rec.txt").exit_code, 2);
  EXPECT_EQ(run_command("trace convert " + bad + " " + dir + "/x.json").exit_code, 2);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(TraceCli, TheExampleTraceReplaysOnTheDefaultConfig) {
  const auto r = run_command("replay " IOMMU_SIM_SOURCE_DIR
                             "/configs/traces/nic0_map_dma_unmap.csv --config " IOMMU_SIM_SOURCE_DIR
                             "/configs/default.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trace map/unmap         1 maps, 1 unmaps, 0 failed"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace iommu_sim::test
