// The command line's run control (apps/run_control.h): the progress line
// appears on a terminal only, SIGINT stops a run between two slices with
// consistent statistics marked incomplete, SIGUSR1 writes the statistics
// so far and the run goes on. No sleeps: the tests wait for what the run
// prints, or raise the signal from inside the run.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "apps/progress.h"
#include "apps/run_control.h"
#include "model/kernel.h"
#include "model/stats_stamp.h"
#include "tests/support/cli.h"
#include "tests/support/pty_child.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim {
namespace {

using test::PtyChild;
using test::run_command;
using test::temp_dir;
using test::write_temp;

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// A run that would take hours: only a signal ends it.
std::string endless_config() {
  return write_temp("endless.json",
                    R"({"workloads": [{"device": "nic0", "count": 1000000000000}]})");
}

// What every progress line holds, whatever its numbers.
constexpr const char* kProgressMark = " DMAs  sim ";

// ---------------------------------------------------------------- progress

TEST(Progress, LineShowsBarCountsTimesAndEta) {
  ProgressState s;
  s.done = 25000;
  s.total = 100000;
  s.simulated_ns = 9.52e6;
  s.wall_s = 1.5;
  EXPECT_EQ(progress_line(s),
            "[#####...............]  25%  25000/100000 DMAs  sim 9.52 ms  wall 1.50 s  ETA 4.50 s");
  s.done = 100000;  // done: no time left to show
  EXPECT_EQ(progress_line(s),
            "[####################] 100%  100000/100000 DMAs  sim 9.52 ms  wall 1.50 s");
  s.total = 0;  // not known: no bar, no ETA
  s.done = 7;
  s.unit = "ops";
  s.wall_s = 125;
  s.simulated_ns = 812;
  EXPECT_EQ(progress_line(s), "7 ops  sim 812 ns  wall 2m05s");
}

TEST(Progress, TimesPickTheirUnit) {
  EXPECT_EQ(format_simulated(17180), "17.18 us");
  EXPECT_EQ(format_simulated(1.25e9), "1.250 s");
  EXPECT_EQ(format_wall(12.34), "12.3 s");
  EXPECT_EQ(format_wall(3725), "1h02m");
}

TEST(Progress, RedrawsAtMostFourTimesPerSecondAndErasesItself) {
  std::ostringstream out;
  ProgressLine line(out, true);
  ProgressState s;
  s.total = 10;
  line.update(s, true);
  const std::string first = out.str();
  EXPECT_EQ(first, "\r" + progress_line(s));
  s.done = 5;
  s.wall_s = 0.2;  // under a quarter of a second later: not drawn
  line.update(s);
  EXPECT_EQ(out.str(), first);
  s.wall_s = 0.25;
  line.update(s);
  EXPECT_EQ(out.str(), first + "\r" + progress_line(s));
  const std::size_t width = progress_line(s).size();
  line.erase();
  EXPECT_EQ(out.str().substr(out.str().size() - width - 2), "\r" + std::string(width, ' ') + "\r");

  std::ostringstream quiet;
  ProgressLine off(quiet, false);
  off.update(s, true);
  off.erase();
  EXPECT_EQ(quiet.str(), "");
}

TEST(RunControl, ProgressLineOnATerminalOnly) {
  const auto cfg =
      write_temp("progress.json", R"({"workloads": [{"device": "nic0", "count": 20000}]})");
  PtyChild tty({"--config", cfg});
  EXPECT_EQ(tty.wait(), 0) << tty.output();
  // Drawn in place and erased: a carriage return before it, blanks after.
  const std::size_t at =
      tty.output().find(std::string("\r[") + "....................]   0%  0/20000" + kProgressMark);
  EXPECT_NE(at, std::string::npos) << tty.output();
  EXPECT_NE(tty.output().find("DMAs                    20000"), std::string::npos);

  const auto piped = run_command("--config " + cfg);  // stdout and stderr into a pipe
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.output.find(kProgressMark), std::string::npos) << piped.output;
  EXPECT_EQ(piped.output.find('\r'), std::string::npos);

  PtyChild quiet({"--config", cfg, "--quiet"});
  EXPECT_EQ(quiet.wait(), 0);
  EXPECT_EQ(quiet.output().find(kProgressMark), std::string::npos) << quiet.output();
}

TEST(RunControl, ReplayShowsProgressInTraceRecords) {
  PtyChild tty({"replay", IOMMU_SIM_SOURCE_DIR "/configs/traces/nic0_map_dma_unmap.csv", "--config",
                IOMMU_SIM_SOURCE_DIR "/configs/default.json"});
  EXPECT_EQ(tty.wait(), 0) << tty.output();
  // The trace's 16 records: 14 DMAs, a map and an unmap.
  EXPECT_NE(tty.output().find("0/16" + std::string(kProgressMark)), std::string::npos)
      << tty.output();
}

// ------------------------------------------------------------------ SIGINT

TEST(RunControl, SigintStopsTheRunWithConsistentIncompleteStats) {
  const auto out = temp_dir() / "sigint";
  std::filesystem::remove_all(out);
  PtyChild run({"--config", endless_config(), "--out", out.string()});
  // The progress line is drawn once the handlers are in place.
  ASSERT_TRUE(run.read_until(kProgressMark)) << run.output();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), kExitInterrupted) << run.output();
  EXPECT_NE(run.output().find("iommu-sim: interrupted (SIGINT) at "), std::string::npos)
      << run.output();

  const auto j = read_json(out / "stats.json");
  EXPECT_EQ(j["complete"], false);
  EXPECT_EQ(j["version"], simulator_version());
  const auto& s = j["stats"];
  const auto issued = s["workload.wl0.issued"].get<std::uint64_t>();
  const auto completed = s["workload.wl0.completed"].get<std::uint64_t>();
  EXPECT_GT(completed, 0u);
  EXPECT_LT(issued, 1000000000000ull);  // far below the full run's
  // One DMA in flight at most, and every statistic taken at one instant.
  EXPECT_LE(completed, issued);
  EXPECT_LE(issued - completed, 1u);
  EXPECT_EQ(s["iommu.iotlb.lookups"], s["iommu.iotlb.hits"].get<std::uint64_t>() +
                                          s["iommu.iotlb.misses"].get<std::uint64_t>());
  EXPECT_GE(s["iommu.requests"].get<std::uint64_t>(), completed);
  EXPECT_EQ(s["workload.wl0.bytes"], completed * 64);
  EXPECT_EQ(s["workload.wl0.latency"]["count"], completed);
  EXPECT_GT(j["simulated_time_ns"].get<double>(), 0);
}

TEST(RunControl, SigintInsideTheRunStopsAtTheNextSlice) {
  PlatformConfig c;
  c.workloads[0].count = 50000;
  start_fresh_kernel();
  Platform p(c);
  RunControl control(p, {}, [&] { return p.stats_json(); });
  // Raised from inside the run, after 1 ms of simulated time.
  control.set_slice_hook([] {
    if (sc_core::sc_time_stamp() >= sc_core::sc_time(1, sc_core::SC_MS)) std::raise(SIGINT);
  });
  EXPECT_FALSE(control.run());
  EXPECT_TRUE(control.interrupted());
  const auto j = p.stats_json();
  EXPECT_EQ(j["complete"], false);
  const auto completed = j["stats"]["workload.wl0.completed"].get<std::uint64_t>();
  EXPECT_GT(completed, 0u);
  EXPECT_LT(completed, 50000u);
  EXPECT_GE(j["simulated_time_ns"].get<double>(), 1e6);
}

// ----------------------------------------------------------------- SIGUSR1

TEST(RunControl, Sigusr1WritesTheStatsSoFarAndTheRunGoesOn) {
  const auto out = temp_dir() / "sigusr1";
  std::filesystem::remove_all(out);
  PlatformConfig c;
  c.workloads[0].count = 50000;
  start_fresh_kernel();
  Platform p(c);
  RunControl control(p, {.out_dir = out.string()}, [&] { return p.stats_json(); });
  std::filesystem::create_directories(out);
  nlohmann::json dumped;
  control.set_slice_hook([&] {
    if (dumped.is_null() && std::filesystem::exists(out / "stats.json")) {
      dumped = read_json(out / "stats.json");
    }
    if (sc_core::sc_time_stamp() >= sc_core::sc_time(1, sc_core::SC_MS) &&
        !std::filesystem::exists(out / "stats.json")) {
      std::raise(SIGUSR1);
    }
  });
  EXPECT_TRUE(control.run());
  EXPECT_FALSE(control.interrupted());
  ASSERT_TRUE(std::filesystem::exists(out / "stats.json"));
  if (dumped.is_null()) dumped = read_json(out / "stats.json");
  EXPECT_EQ(dumped["complete"], false);
  const auto so_far = dumped["stats"]["workload.wl0.completed"].get<std::uint64_t>();
  EXPECT_GT(so_far, 0u);
  EXPECT_LT(so_far, 50000u);
  EXPECT_GE(dumped["simulated_time_ns"].get<double>(), 1e6);
  const auto end = p.stats_json();
  EXPECT_EQ(end["complete"], true);
  EXPECT_EQ(end["stats"]["workload.wl0.completed"], 50000);
}

TEST(RunControl, Sigusr1OnTheCommandLineWritesStatsJsonWhileTheRunGoesOn) {
  const auto out = temp_dir() / "sigusr1_cli";
  std::filesystem::remove_all(out);
  PtyChild run({"--config", endless_config(), "--out", out.string()});
  ASSERT_TRUE(run.read_until(kProgressMark)) << run.output();
  run.signal(SIGUSR1);
  ASSERT_TRUE(run.read_until("the run goes on")) << run.output();
  const auto dumped = read_json(out / "stats.json");
  EXPECT_EQ(dumped["complete"], false);
  const auto so_far = dumped["stats"]["workload.wl0.completed"].get<std::uint64_t>();
  // Still running: it draws the progress line again after the message.
  const std::size_t after = run.output().find("the run goes on");
  ASSERT_TRUE(run.read_until(kProgressMark, after)) << run.output();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), kExitInterrupted);
  const auto end = read_json(out / "stats.json");
  EXPECT_GT(end["stats"]["workload.wl0.completed"].get<std::uint64_t>(), so_far);
}

TEST(RunControl, Sigusr1WithoutOutPrintsTheSummarySoFar) {
  PtyChild run({"--config", endless_config()});
  ASSERT_TRUE(run.read_until(kProgressMark)) << run.output();
  run.signal(SIGUSR1);
  ASSERT_TRUE(run.read_until("IOTLB hit rate")) << run.output();
  EXPECT_NE(run.output().find("iommu-sim: SIGUSR1: statistics so far, at "), std::string::npos);
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), kExitInterrupted);
  EXPECT_NE(run.output().find("nothing written (no --out)"), std::string::npos) << run.output();
}

TEST(RunControl, CompleteRunsSayComplete) {
  const auto out = temp_dir() / "complete";
  std::filesystem::remove_all(out);
  const auto cfg =
      write_temp("complete.json", R"({"workloads": [{"device": "nic0", "count": 3000}]})");
  const auto r = run_command("--config " + cfg + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = read_json(out / "stats.json");
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["warmup_end_ns"], 0.0);
  EXPECT_FALSE(std::filesystem::exists(out / "stats.json.tmp"));
}

}  // namespace
}  // namespace iommu_sim
