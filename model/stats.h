// Statistics are declared once, with a stable dotted name and a meaning.
// Blocks own their counters as plain integers (a hot path increments a
// member, nothing more) and register a pointer here; the registry writes them
// all, sorted by name, into stats.json.
//
// The registry also restarts them (stats.warmup_*, docs/running.md): it
// zeroes every counter and empties every histogram it holds, so no block
// can forget one, and calls the restart hooks of the blocks whose derived
// statistics rest on private state (busy time, first and last event
// times). A counter the model also steers by must therefore not be the
// registered one: the registry may zero it at any time.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model/stats_bins.h"

namespace iommu_sim {

// Exact histogram of integer samples (picoseconds for latencies). Simulated
// latencies are sums of a few parameters plus queueing multiples, so the set
// of distinct values stays small and every percentile is exact, which lets a
// test compare p50 against a latency computed by hand.
class Histogram {
 public:
  // Hot paths record the same value again and again (an unloaded latency,
  // a zero queue delay): that case stays inline, a new value goes to the bins.
  void record(std::uint64_t value) {
    ++count_;
    sum_ += value;
    if (value == last_value_ && last_count_ != nullptr) {
      ++*last_count_;
      return;
    }
    record_new_value(value);
  }
  std::uint64_t count() const { return count_; }
  std::uint64_t sum() const { return sum_; }
  std::uint64_t min() const { return values().empty() ? 0 : bins_.begin()->first; }
  std::uint64_t max() const { return values().empty() ? 0 : bins_.rbegin()->first; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // How many samples equal `value` exactly.
  std::uint64_t count_of(std::uint64_t value) const {
    const auto it = values().find(value);
    return it == bins_.end() ? 0 : it->second;
  }
  // Smallest sample v such that at least q of all samples are <= v.
  std::uint64_t percentile(double q) const;
  // Every distinct sample with how many times it was recorded, ascending.
  const boost::container::flat_map<std::uint64_t, std::uint64_t>& values() const;
  void reset();

 private:
  void record_new_value(std::uint64_t value);
  // Merges the samples of values not yet in the bins into them.
  void merge_pending() const;

  // Exact: every distinct value with its count. Values new to the bins
  // wait in `pending_` and are merged in batches: inserting each into the
  // sorted bins at once moved the whole tail, quadratic in the distinct
  // values (a loaded memory controller's delays, 1 024 functions: 82 % of
  // the run in memmove).
  mutable boost::container::flat_map<std::uint64_t, std::uint64_t> bins_;
  mutable std::vector<std::uint64_t> pending_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t last_value_ = 0;
  // Into bins_; flat_map pointers move on insert, so a merge clears it.
  mutable std::uint64_t* last_count_ = nullptr;
};

class StatsRegistry {
 public:
  struct Counter {
    std::uint64_t* value;
    std::string doc;
    std::uint64_t before_restart = 0;  // what restarts took away
    // The count since the run began, restarts or not (the time series).
    std::uint64_t run_total() const { return before_restart + *value; }
  };

  // Registers a counter the caller owns; the registry zeroes it on a
  // restart. Names must be unique.
  void counter(std::string name, std::uint64_t* value, std::string_view doc);
  // Registers a histogram the caller owns (emptied on a restart); `scale`
  // divides samples on output (1000 turns picoseconds into nanoseconds) and
  // `unit` names the result.
  void histogram(std::string name, Histogram* h, std::string_view unit, std::string_view doc,
                 double scale = 1000.0);
  // A value computed at output time (a ratio, an occupancy, a rate). One
  // that rests on state of its block other than registered counters and
  // histograms needs a restart hook for that state; rates over time are
  // measured from epoch_ps().
  void derived(std::string name, std::function<double()> fn, std::string_view doc);
  // Called with the new epoch on every restart, after the counters were
  // zeroed and the histograms emptied.
  void on_restart(std::function<void(std::uint64_t epoch_ps)> hook);

  // Every statistic starts again from `epoch_ps` (simulated picoseconds):
  // the end of the warm-up.
  void restart(std::uint64_t epoch_ps);
  // Simulated time the statistics are measured from: 0, or the last restart.
  std::uint64_t epoch_ps() const { return epoch_ps_; }
  bool restarted() const { return restarted_; }

  // Work done in the run (DMAs, I/Os, packets, trace records; never
  // restarted): what the progress line counts and stats.warmup_dmas waits
  // for. Blocks call work_done() once per unit, on their hot path: an
  // increment and a compare.
  void work_done() {
    if (++work_done_ == trigger_at_) trigger_();
  }
  std::uint64_t work_done_total() const { return work_done_; }
  // Calls `fn` once, when the work done reaches `at` (> 0).
  void at_work_done(std::uint64_t at, std::function<void()> fn);

  // How histograms' bins are written (model/stats_bins.h).
  void set_histogram_binning(HistogramBinning binning) { binning_ = binning; }

  nlohmann::json to_json() const;
  // Name -> meaning, for docs/statistics.md.
  std::map<std::string, std::string> descriptions() const;
  std::uint64_t counter_value(const std::string& name) const;
  const Counter* find_counter(const std::string& name) const;
  const Histogram* find_histogram(const std::string& name) const;
  bool has_derived(const std::string& name) const { return derived_.contains(name); }
  // Names of the counters, in order.
  std::vector<std::string> counter_names() const;

 private:
  struct HistogramEntry {
    Histogram* h;
    std::string unit, doc;
    double scale;
  };
  struct DerivedEntry {
    std::function<double()> fn;
    std::string doc;
  };
  void claim(const std::string& name);
  std::map<std::string, Counter> counters_;
  std::map<std::string, HistogramEntry> histograms_;
  std::map<std::string, DerivedEntry> derived_;
  std::vector<std::function<void(std::uint64_t)>> restart_hooks_;
  std::uint64_t epoch_ps_ = 0;
  bool restarted_ = false;
  std::uint64_t work_done_ = 0;
  std::uint64_t trigger_at_ = 0;  // 0: never (work_done_ is at least 1 when compared)
  std::function<void()> trigger_;
  HistogramBinning binning_;
};

}  // namespace iommu_sim
