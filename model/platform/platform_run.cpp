// Platform::run: the simulation in slices of simulated time, with the
// statistics' work between them (a warm-up's end, the time series'
// samples) and the caller's (SliceObserver).
//
// A slice is sc_start(d, SC_EXIT_ON_STARVATION): the kernel runs every
// event before the slice's end and returns at it, with the processes due
// exactly then made runnable but not yet run, or earlier, at its last event,
// when nothing is due before the end (starvation: it does not move time
// on, as SC_RUN_TO_TIME would). The next slice goes on from there as one
// sc_start() would have, so slicing changes neither an event's order nor
// the final simulated time, and stats.json stays byte-identical
// (tests/sim/test_stats_warmup.cpp checks it). A boundary at time T thus
// splits the run into everything before T and everything at T or after.
#include "model/platform/platform.h"

#include <stdexcept>

namespace iommu_sim {

using sc_core::sc_time;

namespace {

// a + b, saturating at the kernel's largest time.
sc_time later(const sc_time& a, const sc_time& b) {
  const sc_time& max = sc_core::sc_max_time();
  return b > max - a ? max : a + b;
}

}  // namespace

std::vector<ConfigError> Platform::check_stats() {
  if (!stats_errors_) stats_errors_ = timeseries_.resolve(stats_, config_.stats.timeseries);
  return *stats_errors_;
}

bool Platform::run(SliceObserver* observer) {
  if (const auto errors = check_stats(); !errors.empty()) {
    throw std::invalid_argument("config error: " + errors.front().to_string());
  }
  const StatsParams& s = config_.stats;
  const bool sampling = s.interval_ns > 0;
  bool warmup = s.warmup_ns > 0;
  const sc_time warmup_end = ns(s.warmup_ns);
  if (observer == nullptr && !sampling && !warmup) {
    sc_core::sc_start();  // nothing to do between slices
    complete_ = true;
    return true;
  }
  const sc_time interval = sampling ? ns(s.interval_ns) : sc_time();
  sc_time next_sample = interval;
  bool started = false;
  for (;;) {
    sc_time until = sc_core::sc_max_time();
    if (observer != nullptr) {
      // Counted from the next event, so that an idle stretch costs no slices.
      const sc_time from =
          started ? later(sc_core::sc_time_stamp(), sc_core::sc_time_to_pending_activity())
                  : sc_core::SC_ZERO_TIME;
      until = later(from, observer->next_slice());
    }
    if (warmup && warmup_end < until) until = warmup_end;
    if (sampling && next_sample < until) until = next_sample;
    sc_core::sc_start(until - sc_core::sc_time_stamp(), sc_core::SC_EXIT_ON_STARVATION);
    started = true;
    // Starved: the run is over (a warm-up or sample due later never comes).
    if (!sc_core::sc_pending_activity()) break;
    if (warmup && until == warmup_end) {
      stats_.restart(warmup_end.value());
      warmup = false;
    }
    if (sampling && until == next_sample) {
      timeseries_.sample(next_sample.value());
      next_sample = later(next_sample, interval);
    }
    if (observer != nullptr && !observer->after_slice()) {
      if (sampling) timeseries_.sample(sc_core::sc_time_stamp().value());
      return false;
    }
  }
  // The last row covers the rest of the run, up to its last event.
  if (sampling) timeseries_.sample(sc_core::sc_time_stamp().value());
  complete_ = true;
  return true;
}

}  // namespace iommu_sim
