#include "model/stats_bins.h"

#include <boost/histogram.hpp>

namespace iommu_sim {

namespace {

namespace bh = boost::histogram;

// Fills `axis` with every value of [first, last) weighted by its count and
// appends its bins to `out`. Every value lies in [lo, hi], hi the largest:
// Boost's upper edge is open, so hi lands in the overflow bin, which is
// folded into the last bin.
template <class Axis, class It>
void fill(const Axis& axis, double lo, double hi, It first, It last, HistogramBins& out) {
  auto h = bh::make_histogram_with(std::vector<std::uint64_t>(), axis);
  for (It it = first; it != last; ++it) {
    h(static_cast<double>(it->first), bh::weight(it->second));
  }
  const int n = axis.size();
  const std::size_t first_bin = out.counts.size();
  for (int i = 0; i < n; ++i) {
    // The outer edges exactly the smallest and largest value: the log
    // transform's round trip would leave them a rounding error off.
    const double lower = i == 0 ? lo : axis.bin(i).lower();
    if (out.edges.empty() || out.edges.back() != lower) out.edges.push_back(lower);
    out.counts.push_back(h.at(i));
  }
  out.edges.push_back(hi);
  // Above the axis there is only hi itself; below it nothing (lo is the
  // smallest value filled) unless rounding put lo there.
  out.counts.back() += h.at(n);
  out.counts[first_bin] += h.at(-1);
}

}  // namespace

HistogramBins bin_histogram(const boost::container::flat_map<std::uint64_t, std::uint64_t>& values,
                            const HistogramBinning& binning) {
  HistogramBins out;
  if (values.empty()) return out;
  auto first = values.begin();
  const auto lo = static_cast<double>(first->first);
  const auto hi = static_cast<double>(values.rbegin()->first);
  if (binning.log && first->first == 0) {
    // log(0) has no place on a log axis: zeros get a bin of their own.
    out.edges.push_back(0.0);
    out.counts.push_back(first->second);
    ++first;
    if (first == values.end()) {
      out.edges.push_back(0.0);  // only zeros: the one bin [0, 0]
      return out;
    }
  }
  const auto from = static_cast<double>(first->first);
  if (from == hi) {
    // One distinct value (besides zeros): one bin [v, v].
    if (out.edges.empty() || out.edges.back() != from) out.edges.push_back(from);
    out.edges.push_back(hi);
    out.counts.push_back(first->second);
    return out;
  }
  const unsigned n = binning.bins == 0 ? 1 : binning.bins;
  if (binning.log) {
    fill(bh::axis::regular<double, bh::axis::transform::log>(n, from, hi), from, hi, first,
         values.end(), out);
  } else {
    fill(bh::axis::regular<double>(n, lo, hi), lo, hi, first, values.end(), out);
  }
  return out;
}

nlohmann::json bins_json(const HistogramBins& bins, double scale) {
  nlohmann::json edges = nlohmann::json::array();
  for (const double e : bins.edges) edges.push_back(e / scale);
  return {{"edges", std::move(edges)}, {"counts", bins.counts}};
}

}  // namespace iommu_sim
