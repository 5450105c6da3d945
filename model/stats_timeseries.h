// Periodic samples of chosen counters (stats.interval_ns,
// stats.timeseries): the rows of stats-timeseries.csv. Each row holds what
// each counter counted in the period that ends at the row's time, taken
// from the counter's run total, so a warm-up restart does not show and
// every column sums to what the counter reached over the whole run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config_loader.h"
#include "model/stats.h"

namespace iommu_sim {

class StatsTimeSeries {
 public:
  // Resolves `names` (counter names or patterns with *, in order) in
  // `stats`; an exact name that is no counter is an error, reported with
  // its path stats.timeseries[i].
  std::vector<ConfigError> resolve(const StatsRegistry& stats,
                                   const std::vector<std::string>& names);
  const std::vector<std::string>& columns() const { return names_; }

  // A row at simulated time `time_ps`: each column's count since the
  // previous row.
  void sample(std::uint64_t time_ps);
  std::size_t rows() const { return rows_.size(); }

  // RFC 4180: a header `time_ns,<columns>`, then one record per row, CRLF
  // line breaks, fields quoted when they hold a comma, quote or line break.
  std::string csv() const;

 private:
  struct Row {
    std::uint64_t time_ps;
    std::vector<std::uint64_t> deltas;
  };
  std::vector<std::string> names_;
  std::vector<const StatsRegistry::Counter*> counters_;
  std::vector<std::uint64_t> last_;
  std::vector<Row> rows_;
};

}  // namespace iommu_sim
