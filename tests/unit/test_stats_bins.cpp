// Histogram bins in stats.json (model/stats_bins.h): they sum to the
// histogram's count, each sample lies in the bin whose edges hold it, and
// the scale, zeros and single values are as docs/running.md says.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/stats.h"
#include "model/stats_bins.h"

namespace iommu_sim {
namespace {

// Samples (value -> count) lying in [lo, hi].
std::uint64_t samples_in(const Histogram& h, double lo, double hi) {
  std::uint64_t n = 0;
  for (const auto& [value, count] : h.values()) {
    if (static_cast<double>(value) >= lo && static_cast<double>(value) <= hi) n += count;
  }
  return n;
}

TEST(HistogramBins, BinsSumToTheCountAndHoldTheirSamples) {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    Histogram h;
    // Latency-like samples: a few values repeated, a long tail, some zeros.
    const int n = 1 + static_cast<int>(rng() % 2000);
    std::vector<std::uint64_t> samples;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t v = rng() % 4 == 0   ? 0
                              : rng() % 2 == 0 ? 3000
                                               : std::uint64_t(std::exp2(double(rng() % 200) / 10));
      h.record(v);
      samples.push_back(v);
    }
    for (const bool log : {true, false}) {
      SCOPED_TRACE(round);
      const std::uint32_t bins = 1 + static_cast<std::uint32_t>(rng() % 40);
      const HistogramBins b = bin_histogram(h.values(), {bins, log});
      ASSERT_EQ(b.edges.size(), b.counts.size() + 1);
      std::uint64_t sum = 0;
      for (const auto c : b.counts) sum += c;
      EXPECT_EQ(sum, h.count());
      EXPECT_EQ(b.edges.front(), static_cast<double>(h.min()));
      EXPECT_EQ(b.edges.back(), static_cast<double>(h.max()));
      for (std::size_t i = 0; i + 1 < b.edges.size(); ++i) EXPECT_LE(b.edges[i], b.edges[i + 1]);
      // Each bin holds the samples between its edges: every one well
      // inside, and none well outside (one on an inner edge may go
      // either way by a rounding of the edge).
      for (std::size_t i = 0; i < b.counts.size(); ++i) {
        const double lo = b.edges[i], hi = b.edges[i + 1], eps = 1e-9 * hi;
        const bool last = i + 1 == b.counts.size();
        EXPECT_GE(b.counts[i], samples_in(h, lo + eps, last ? hi : hi - 2 * eps)) << i;
        EXPECT_LE(b.counts[i], samples_in(h, i == 0 ? lo : lo - eps, hi + eps)) << i;
      }
      // No more bins than asked for (plus the zeros' own on a log scale).
      EXPECT_LE(b.counts.size(), bins + (log && h.min() == 0 ? 1u : 0u));
    }
  }
}

TEST(HistogramBins, LogBinsHaveEqualRatiosAndZerosGetTheirOwn) {
  Histogram h;
  for (std::uint64_t v : {0, 0, 1000, 5000, 20000, 100000, 100000}) h.record(v);
  const HistogramBins b = bin_histogram(h.values(), {2, true});
  ASSERT_EQ(b.edges.size(), 4u);
  EXPECT_EQ(b.edges[0], 0.0);
  EXPECT_EQ(b.edges[1], 1000.0);
  EXPECT_NEAR(b.edges[2], 10000.0, 1e-6);  // 1000 x 10, 10000 x 10
  EXPECT_EQ(b.edges[3], 100000.0);
  EXPECT_EQ(b.counts, (std::vector<std::uint64_t>{2, 2, 3}));

  const HistogramBins lin = bin_histogram(h.values(), {4, false});
  EXPECT_EQ(lin.edges, (std::vector<double>{0, 25000, 50000, 75000, 100000}));
  EXPECT_EQ(lin.counts, (std::vector<std::uint64_t>{5, 0, 0, 2}));
}

TEST(HistogramBins, OneValueIsOneBinAndEmptyIsNone) {
  Histogram h;
  EXPECT_TRUE(bin_histogram(h.values(), {}).counts.empty());
  EXPECT_TRUE(bin_histogram(h.values(), {}).edges.empty());
  for (int i = 0; i < 5; ++i) h.record(84313);
  const HistogramBins one = bin_histogram(h.values(), {});
  EXPECT_EQ(one.edges, (std::vector<double>{84313, 84313}));
  EXPECT_EQ(one.counts, (std::vector<std::uint64_t>{5}));
  h.record(0);
  const HistogramBins zero = bin_histogram(h.values(), {});
  EXPECT_EQ(zero.edges, (std::vector<double>{0, 84313, 84313}));
  EXPECT_EQ(zero.counts, (std::vector<std::uint64_t>{1, 5}));
  Histogram zeros;
  zeros.record(0);
  EXPECT_EQ(bin_histogram(zeros.values(), {}).edges, (std::vector<double>{0, 0}));
}

TEST(HistogramBins, StatsJsonWritesThemInTheHistogramsUnit) {
  StatsRegistry r;
  Histogram h;
  h.record(3000);
  h.record(84313);
  r.histogram("lat", &h, "ns", "latency");
  r.set_histogram_binning({2, false});
  const auto j = r.to_json()["lat"]["bins"];
  EXPECT_EQ(j["edges"], nlohmann::json({3.0, 43.6565, 84.313}));
  EXPECT_EQ(j["counts"], nlohmann::json({1, 1}));
}

TEST(StatsRegistry, RestartZeroesCountersEmptiesHistogramsAndKeepsRunTotals) {
  StatsRegistry r;
  std::uint64_t hits = 7;
  Histogram h;
  h.record(5);
  r.counter("hits", &hits, "hits");
  r.histogram("lat", &h, "ns", "latency");
  std::uint64_t hooked = 0;
  r.on_restart([&](std::uint64_t epoch) { hooked = epoch; });
  r.restart(1234);
  EXPECT_EQ(hits, 0u);
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(hooked, 1234u);
  EXPECT_EQ(r.epoch_ps(), 1234u);
  EXPECT_TRUE(r.restarted());
  hits = 3;
  EXPECT_EQ(r.find_counter("hits")->run_total(), 10u);
  // The work meter is not a statistic: it never restarts, and calls its
  // trigger once, at the count given.
  int fired = 0;
  r.at_work_done(2, [&] { ++fired; });
  for (int i = 0; i < 5; ++i) r.work_done();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(r.work_done_total(), 5u);
}

}  // namespace
}  // namespace iommu_sim
