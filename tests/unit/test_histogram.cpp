// Histogram (model/stats.h) keeps every distinct sample with its count
// exactly, whatever the order samples arrive in and however queries
// interleave with recording: values new to it wait in a batch that is
// merged into the sorted bins, which must not lose, double or misplace one.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "model/stats.h"

namespace iommu_sim {
namespace {

TEST(Histogram, MatchesAnExactReferenceUnderInterleavedQueries) {
  std::mt19937_64 rng(20261130);
  for (const std::uint64_t distinct : {3ull, 100ull, 5000ull, 200000ull}) {
    SCOPED_TRACE(distinct);
    Histogram h;
    std::map<std::uint64_t, std::uint64_t> reference;
    std::uniform_int_distribution<std::uint64_t> value(0, distinct - 1);
    std::uint64_t sum = 0;
    for (int i = 0; i < 300000; ++i) {
      // Runs of one value (the inline path), fresh values (the batch) and
      // values the bins hold.
      const std::uint64_t v = i % 7 == 0 ? value(rng) * 1000 + 7 : value(rng) * 1000;
      const int repeats = i % 5 == 0 ? 3 : 1;
      for (int r = 0; r < repeats; ++r) {
        h.record(v);
        ++reference[v];
        sum += v;
      }
      if (i % 9973 == 0) {  // a query in the middle merges the batch
        EXPECT_EQ(h.count_of(v), reference[v]);
        EXPECT_EQ(h.max(), reference.rbegin()->first);
      }
    }
    std::uint64_t count = 0;
    for (const auto& [v, n] : reference) count += n;
    EXPECT_EQ(h.count(), count);
    EXPECT_EQ(h.sum(), sum);
    ASSERT_EQ(h.values().size(), reference.size());
    auto it = reference.begin();
    for (const auto& [v, n] : h.values()) {
      EXPECT_EQ(v, it->first);
      EXPECT_EQ(n, it->second);
      ++it;
    }
    EXPECT_EQ(h.min(), reference.begin()->first);
    // The median as the reference's ranks give it.
    std::uint64_t seen = 0, median = 0;
    const auto rank = (count + 1) / 2;
    for (const auto& [v, n] : reference) {
      seen += n;
      if (seen >= rank) {
        median = v;
        break;
      }
    }
    EXPECT_EQ(h.percentile(0.5), median);
  }
}

TEST(Histogram, ResetForgetsTheBatchToo) {
  Histogram h;
  for (std::uint64_t v = 0; v < 10; ++v) h.record(v);  // all still in the batch
  h.reset();
  h.record(42);
  ASSERT_EQ(h.values().size(), 1u);
  EXPECT_EQ(h.values().begin()->first, 42u);
  EXPECT_EQ(h.count_of(3), 0u);
  EXPECT_EQ(h.min(), 42u);
}

}  // namespace
}  // namespace iommu_sim
