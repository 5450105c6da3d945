#include "apps/run_control.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/reports.h"

namespace iommu_sim {

namespace {

// Set by the handlers, read and cleared between slices. One run at a time
// owns them (RunControl's constructor clears them).
volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_dump = 0;

extern "C" void on_sigint(int /*signal*/) {
  g_stop = 1;
}
extern "C" void on_sigusr1(int /*signal*/) {
  g_dump = 1;
}

void install(int signal, void (*handler)(int), int flags, struct sigaction& old) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = flags;
  sigaction(signal, &sa, &old);
}

// The first slice, and the bounds the slice rule keeps to.
const sc_core::sc_time kFirstSlice(1, sc_core::SC_US);
const sc_core::sc_time kShortestSlice(1, sc_core::SC_NS);
const sc_core::sc_time kLongestSlice(1000, sc_core::SC_SEC);
constexpr double kSliceAtLeast = 0.005, kSliceAtMost = 0.05;  // wall seconds

// Writes `text` to `dir`/`name` through `name`.tmp renamed into place.
bool write_atomically(const std::string& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path path = std::filesystem::path(dir) / name;
  const std::filesystem::path tmp = std::filesystem::path(dir) / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!(out << text) || !out.flush()) {
      std::cerr << "iommu-sim: --out: cannot write " << path.string() << "\n";
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::cerr << "iommu-sim: --out: cannot write " << path.string() << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

}  // namespace

RunControl::RunControl(Platform& platform, RunControlOptions options,
                       std::function<nlohmann::json()> stats, const PlatformReplay* replay)
    : platform_(platform),
      options_(std::move(options)),
      stats_(std::move(stats)),
      replay_(replay),
      line_(std::cerr, options_.progress),
      slice_(kFirstSlice) {
  g_stop = 0;
  g_dump = 0;
  // A second SIGINT ends the program at once (SA_RESETHAND), should a
  // slice not come to its end.
  install(SIGINT, on_sigint, SA_RESTART | SA_RESETHAND, old_int_);
  install(SIGUSR1, on_sigusr1, SA_RESTART, old_usr1_);
}

RunControl::~RunControl() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGUSR1, &old_usr1_, nullptr);
}

bool RunControl::run() {
  started_ = std::chrono::steady_clock::now();
  line_.update(progress_state(), true);
  const bool complete = platform_.run(this);
  wall_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  line_.erase();
  return complete;
}

sc_core::sc_time RunControl::next_slice() {
  slice_started_ = std::chrono::steady_clock::now();
  return slice_;
}

bool RunControl::after_slice() {
  const auto now = std::chrono::steady_clock::now();
  const double took = std::chrono::duration<double>(now - slice_started_).count();
  if (took < kSliceAtLeast && slice_ < kLongestSlice) {
    slice_ = slice_ * 2;
  } else if (took > kSliceAtMost && slice_ > kShortestSlice) {
    slice_ = slice_ / 2;
  }
  if (hook_) hook_();
  if (g_stop != 0) {
    interrupted_ = true;
    return false;
  }
  if (g_dump != 0) {
    g_dump = 0;
    dump();
  }
  line_.update(progress_state());
  return true;
}

ProgressState RunControl::progress_state() const {
  ProgressState s;
  s.done = platform_.stats().work_done_total();
  s.total = options_.total;
  s.unit = options_.unit;
  s.simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return s;
}

void RunControl::dump() {
  line_.erase();
  const nlohmann::json stats = stats_();
  const std::string at = format_simulated(sc_core::sc_time_stamp().to_seconds() * 1e9);
  if (options_.out_dir.empty()) {
    std::cerr << "iommu-sim: SIGUSR1: statistics so far, at " << at << " simulated:\n";
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    print_summary(std::cerr, platform_, stats, wall, replay_);
    return;
  }
  if (write_stats_json(options_.out_dir, stats) && write_timeseries(options_.out_dir, platform_)) {
    std::cerr << "iommu-sim: SIGUSR1: wrote " << options_.out_dir << "/stats.json at " << at
              << " simulated (\"complete\": false); the run goes on\n";
  }
}

bool progress_wanted(bool quiet) {
  return !quiet && isatty(STDERR_FILENO) == 1;
}

std::string work_unit(const PlatformConfig& config) {
  return config.devices.empty() ? "DMAs" : "ops";
}

std::vector<ConfigError> check_run_stats(Platform& platform, std::uint64_t total) {
  std::vector<ConfigError> errors = platform.check_stats();
  const std::uint64_t warmup = platform.config().stats.warmup_dmas;
  if (warmup != 0 && warmup >= total) {
    errors.push_back({"stats.warmup_dmas", "must be below the " + std::to_string(total) + " " +
                                               work_unit(platform.config()) +
                                               " this run does, or it never ends (got " +
                                               std::to_string(warmup) + ")"});
  }
  return errors;
}

int finish_run(const RunControl& control, const Platform& platform, const std::string& out_dir) {
  const StatsParams& s = platform.config().stats;
  if (s.interval_ns > 0 && out_dir.empty()) {
    std::cerr << "iommu-sim: stats.interval_ns is set but there is no --out: the time series "
                 "was not written\n";
  }
  const std::string at = format_simulated(sc_core::sc_time_stamp().to_seconds() * 1e9);
  if (!control.interrupted() && (s.warmup_dmas > 0 || s.warmup_ns > 0) &&
      !platform.stats().restarted()) {
    std::cerr << "iommu-sim: the run ended (at " << at
              << " simulated) before its warm-up did: the statistics cover all of it "
                 "(\"warmup_end_ns\": null)\n";
  }
  if (!control.interrupted()) return 0;
  std::cerr << "iommu-sim: interrupted (SIGINT) at " << at << " simulated; "
            << (out_dir.empty() ? std::string("nothing written (no --out)")
                                : "the statistics so far are in " + out_dir +
                                      "/stats.json (\"complete\": false)")
            << "\n";
  return kExitInterrupted;
}

bool write_stats_json(const std::string& dir, const nlohmann::json& stats) {
  return write_atomically(dir, "stats.json", stats.dump(2) + "\n");
}

bool write_timeseries(const std::string& dir, const Platform& platform) {
  if (platform.config().stats.interval_ns <= 0) return true;
  return write_atomically(dir, "stats-timeseries.csv", platform.timeseries().csv());
}

}  // namespace iommu_sim
