// Statistics are declared once, with a stable dotted name and a meaning.
// Blocks own their counters as plain integers (a hot path increments a
// member, nothing more) and register a pointer here; the registry writes them
// all, sorted by name, into stats.json.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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
  std::uint64_t min() const { return bins_.empty() ? 0 : bins_.begin()->first; }
  std::uint64_t max() const { return bins_.empty() ? 0 : bins_.rbegin()->first; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // How many samples equal `value` exactly.
  std::uint64_t count_of(std::uint64_t value) const {
    const auto it = bins_.find(value);
    return it == bins_.end() ? 0 : it->second;
  }
  // Smallest sample v such that at least q of all samples are <= v.
  std::uint64_t percentile(double q) const;
  void reset();

 private:
  void record_new_value(std::uint64_t value);

  boost::container::flat_map<std::uint64_t, std::uint64_t> bins_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t last_value_ = 0;
  std::uint64_t* last_count_ = nullptr;  // flat_map pointers move on insert: reset there
};

class StatsRegistry {
 public:
  // Registers a counter the caller owns. Names must be unique.
  void counter(std::string name, const std::uint64_t* value, std::string_view doc);
  // Registers a histogram the caller owns; `scale` divides samples on output
  // (1000 turns picoseconds into nanoseconds) and `unit` names the result.
  void histogram(std::string name, const Histogram* h, std::string_view unit, std::string_view doc,
                 double scale = 1000.0);
  // A value computed at output time (a ratio, an occupancy).
  void derived(std::string name, std::function<double()> fn, std::string_view doc);

  nlohmann::json to_json() const;
  // Name -> meaning, for docs/statistics.md.
  std::map<std::string, std::string> descriptions() const;
  std::uint64_t counter_value(const std::string& name) const;
  const Histogram* find_histogram(const std::string& name) const;

 private:
  struct CounterEntry {
    const std::uint64_t* value;
    std::string doc;
  };
  struct HistogramEntry {
    const Histogram* h;
    std::string unit, doc;
    double scale;
  };
  struct DerivedEntry {
    std::function<double()> fn;
    std::string doc;
  };
  void claim(const std::string& name);
  std::map<std::string, CounterEntry> counters_;
  std::map<std::string, HistogramEntry> histograms_;
  std::map<std::string, DerivedEntry> derived_;
};

}  // namespace iommu_sim
