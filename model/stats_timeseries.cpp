#include "model/stats_timeseries.h"

#include <fnmatch.h>

#include <cstdio>
#include <set>

namespace iommu_sim {

namespace {

// RFC 4180, 2.6 and 2.7: a field with a comma, quote or line break is
// quoted, and a quote inside it doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<ConfigError> StatsTimeSeries::resolve(const StatsRegistry& stats,
                                                  const std::vector<std::string>& names) {
  std::vector<ConfigError> errors;
  std::set<std::string> seen;
  const std::vector<std::string> all = stats.counter_names();
  auto add = [&](const std::string& name) {
    if (!seen.insert(name).second) return;
    names_.push_back(name);
    counters_.push_back(stats.find_counter(name));
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    const std::string path = "stats.timeseries[" + std::to_string(i) + "]";
    if (n.find_first_of("*?[") != std::string::npos) {
      // A pattern (fnmatch, without FNM_PATHNAME: * matches dots too).
      for (const std::string& c : all) {
        if (fnmatch(n.c_str(), c.c_str(), 0) == 0) add(c);
      }
    } else if (stats.find_counter(n) != nullptr) {
      add(n);
    } else if (stats.find_histogram(n) != nullptr || stats.has_derived(n)) {
      errors.push_back({path, "\"" + n +
                                  "\" is a histogram or a derived statistic; the time series "
                                  "takes counters (docs/statistics.md)"});
    } else {
      errors.push_back(
          {path, "no counter named \"" + n + "\" (docs/statistics.md lists them; * matches any)"});
    }
  }
  last_.reserve(counters_.size());
  for (const auto* c : counters_) last_.push_back(c->run_total());
  return errors;
}

void StatsTimeSeries::sample(std::uint64_t time_ps) {
  Row row{time_ps, {}};
  row.deltas.reserve(counters_.size());
  for (std::size_t i = 0; i < counters_.size(); ++i) {
    const std::uint64_t now = counters_[i]->run_total();
    row.deltas.push_back(now - last_[i]);
    last_[i] = now;
  }
  rows_.push_back(std::move(row));
}

std::string StatsTimeSeries::csv() const {
  std::string out = "time_ns";
  for (const auto& n : names_) {
    out += ',';
    out += csv_field(n);
  }
  out += "\r\n";
  for (const Row& r : rows_) {
    // Picoseconds as ns with three decimals: exact.
    char time[32];
    std::snprintf(time, sizeof time, "%llu.%03llu",
                  static_cast<unsigned long long>(r.time_ps / 1000),
                  static_cast<unsigned long long>(r.time_ps % 1000));
    out += time;
    for (const std::uint64_t d : r.deltas) {
      out += ',';
      out += std::to_string(d);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace iommu_sim
