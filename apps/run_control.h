// How the command line runs a platform (docs/running.md): in slices of
// simulated time, with a progress line on a terminal, SIGUSR1 writing the
// statistics so far and SIGINT stopping the run, both between two slices,
// where every statistic is consistent. The handlers only set flags; the
// run checks them between slices.
//
// Slice rule: a slice's simulated length adapts to the wall time it took,
// doubling while slices take under 5 ms and halving when one takes over
// 50 ms, so the run looks at its flags 20 to 200 times per wall-second
// whatever the model's speed, and each look (a return from sc_start, two
// clock reads) costs a few microseconds: at most a few in ten thousand.
// Slices never change what the simulation computes (model/platform/
// platform_run.cpp).
#pragma once

#include <signal.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/progress.h"
#include "model/platform/platform.h"
#include "model/platform/platform_trace.h"

namespace iommu_sim {

// 128 + SIGINT: what a shell reports for a program SIGINT ended.
constexpr int kExitInterrupted = 130;

struct RunControlOptions {
  std::string out_dir;      // where SIGUSR1 writes stats.json; empty: none
  bool progress = false;    // draw the progress line (on stderr)
  std::uint64_t total = 0;  // work the run does (expected_work); 0: not known
  std::string unit = "DMAs";
};

class RunControl : public SliceObserver {
 public:
  // `stats` builds stats.json as the run's end writes it; `replay`, if
  // any, is the run's (for the summary SIGUSR1 prints without --out).
  RunControl(Platform& platform, RunControlOptions options, std::function<nlohmann::json()> stats,
             const PlatformReplay* replay = nullptr);
  // Restores the signal handlers found at construction.
  ~RunControl() override;
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  // Runs the platform to its end or to a SIGINT; true when it ran to the
  // end. The progress line is erased when it returns.
  bool run();
  bool interrupted() const { return interrupted_; }
  // Wall seconds run() took.
  double wall_seconds() const { return wall_; }
  // For tests: called between two slices, before the signal flags are
  // read (a test raises a signal there at a simulated time it knows).
  void set_slice_hook(std::function<void()> hook) { hook_ = std::move(hook); }

  sc_core::sc_time next_slice() override;
  bool after_slice() override;

 private:
  ProgressState progress_state() const;
  // SIGUSR1: stats.json (and the time series) into --out, or the summary
  // on stderr.
  void dump();

  Platform& platform_;
  RunControlOptions options_;
  std::function<nlohmann::json()> stats_;
  const PlatformReplay* replay_;
  std::function<void()> hook_;
  ProgressLine line_;
  struct sigaction old_int_ {};
  struct sigaction old_usr1_ {};
  sc_core::sc_time slice_;
  std::chrono::steady_clock::time_point started_, slice_started_;
  bool interrupted_ = false;
  double wall_ = 0;
};

// Whether a run draws the progress line: stderr is a terminal and the run
// is not --quiet.
bool progress_wanted(bool quiet);
// The word the progress line counts in for `config`: DMAs, or "ops" when
// device models count I/Os and packets too.
std::string work_unit(const PlatformConfig& config);

// The stats section checked against the built platform: the time series'
// names, and a warmup_dmas the run's `total` work reaches.
std::vector<ConfigError> check_run_stats(Platform& platform, std::uint64_t total);

// After the run and its outputs: says on stderr what the user should
// know (an interrupted run, a warm-up that never ended, a time series
// without --out) and returns the exit status: 0, or kExitInterrupted.
int finish_run(const RunControl& control, const Platform& platform, const std::string& out_dir);

// Writes `dir`/stats.json through a temporary file renamed into place, so
// that a reader never sees half of it; false after saying why on stderr.
bool write_stats_json(const std::string& dir, const nlohmann::json& stats);
// Writes `dir`/stats-timeseries.csv when stats.interval_ns is set; false
// after saying why on stderr.
bool write_timeseries(const std::string& dir, const Platform& platform);

}  // namespace iommu_sim
