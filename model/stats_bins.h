// Histogram bins for stats.json: a histogram keeps every distinct sample
// exactly (model/stats.h); for plotting, stats.json also carries them
// binned, between the smallest and the largest sample, log-spaced by
// default (stats.histogram_bins, stats.histogram_scale; docs/running.md).
// Boost.Histogram does the binning, each distinct value filled once with
// its count as the weight, so the bins always sum to the histogram's count.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace iommu_sim {

struct HistogramBinning {
  std::uint32_t bins = 20;
  bool log = true;  // false: linear
};

struct HistogramBins {
  // bins + 1 edges, in the histogram's raw unit: bin i holds the samples v
  // with edges[i] <= v < edges[i + 1]; the last bin also holds v ==
  // edges.back() (the largest sample). Log scale with zero samples: a first
  // bin [0, smallest positive sample) holds them. Empty histogram: no edges.
  std::vector<double> edges;
  std::vector<std::uint64_t> counts;
};

// `values`: distinct sample -> times recorded, as Histogram::values().
HistogramBins bin_histogram(const boost::container::flat_map<std::uint64_t, std::uint64_t>& values,
                            const HistogramBinning& binning);

// {"edges": [...], "counts": [...]} with the edges divided by `scale`.
nlohmann::json bins_json(const HistogramBins& bins, double scale);

}  // namespace iommu_sim
