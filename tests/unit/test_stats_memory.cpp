#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "model/sparse_memory.h"
#include "model/stats.h"

namespace iommu_sim {
namespace {

TEST(Histogram, PercentilesAreExactSamples) {
  Histogram h;
  for (std::uint64_t v : {5, 1, 3, 3, 9, 7, 3, 100, 2, 4}) h.record(v);
  EXPECT_EQ(h.count(), 10u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_EQ(h.percentile(0.5), 3u);  // 5th of 1,2,3,3,3,4,5,7,9,100
  EXPECT_EQ(h.percentile(0.9), 9u);  // 9th
  EXPECT_EQ(h.percentile(0.99), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 13.7);
}

TEST(StatsRegistry, JsonIsSortedAndScaled) {
  StatsRegistry r;
  std::uint64_t b = 2, a = 1;
  Histogram h;
  h.record(1500);
  r.counter("z.b", &b, "");
  r.counter("a.a", &a, "");
  r.histogram("m.lat", &h, "ns", "");
  const auto j = r.to_json();
  EXPECT_EQ(j.dump(), R"({"a.a":1,"m.lat":{"bins":{"counts":[1],"edges":[1.5,1.5]},"count":1,)"
                      R"("max":1.5,"mean":1.5,"min":1.5,"p50":1.5,)"
                      R"("p90":1.5,"p99":1.5,"unit":"ns"},"z.b":2})");
  EXPECT_THROW(r.counter("a.a", &a, ""), std::logic_error);
}

TEST(SparseMemory, UntouchedReadsZeroAndAllocatesNothing) {
  SparseMemory m;
  EXPECT_EQ(m.read64(0x123456789000), 0u);
  EXPECT_EQ(m.frames_allocated(), 0u);
  m.write64(0x1ff8, 0x1122334455667788ull);
  EXPECT_EQ(m.read64(0x1ff8), 0x1122334455667788ull);
  EXPECT_EQ(m.frames_allocated(), 1u);
}

TEST(SparseMemory, AccessesSpanFrames) {
  SparseMemory m;
  std::vector<std::uint8_t> in(10000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i * 7);
  m.write(0x0ffe, in);
  EXPECT_EQ(m.frames_allocated(), 4u);  // 0x0000, 0x1000, 0x2000, 0x3000
  std::vector<std::uint8_t> out(in.size());
  m.read(0x0ffe, out);
  EXPECT_EQ(in, out);
}

TEST(SparseMemory, AnEmptyAccessTouchesNothing) {
  // fuzz_translator found a zero-length debug write with a null data
  // pointer reaching memcpy (UndefinedBehaviorSanitizer) and allocating a
  // frame; the one-frame path must leave both alone, as the spanning one
  // does.
  SparseMemory m;
  m.write(0x5000, std::span<const std::uint8_t>());
  m.read(0x6000, std::span<std::uint8_t>());
  EXPECT_EQ(m.frames_allocated(), 0u);
  EXPECT_EQ(m.digest(), SparseMemory().digest());
}

TEST(SparseMemory, FramesSharingALookupSlotKeepTheirOwnContents) {
  // Frames kLookupSlots apart share a slot of the lookup cache; reads that
  // alternate between them, and a first write to a frame the slot had
  // cached as absent, must each see their own frame.
  SparseMemory m;
  constexpr std::uint64_t kStride = SparseMemory::kLookupSlots * SparseMemory::kFrameSize;
  EXPECT_EQ(m.read64(kStride + 8), 0u);  // cached as absent
  m.write64(8, 0x1111);
  m.write64(kStride + 8, 0x2222);
  m.write64(2 * kStride + 8, 0x3333);
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(m.read64(8), 0x1111u);
    EXPECT_EQ(m.read64(kStride + 8), 0x2222u);
    EXPECT_EQ(m.read64(2 * kStride + 8), 0x3333u);
    EXPECT_EQ(m.read64(3 * kStride + 8), 0u);
  }
  EXPECT_EQ(m.frames_allocated(), 3u);
  // Each fixed size the copy specialises, and one it does not.
  for (const std::size_t n : {8u, 16u, 32u, 64u, 24u}) {
    std::vector<std::uint8_t> in(n), out(n);
    for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<std::uint8_t>(n + i);
    m.write(3 * kStride + 0x100, in);
    m.read(3 * kStride + 0x100, out);
    EXPECT_EQ(in, out) << n << " bytes";
  }
}

}  // namespace
}  // namespace iommu_sim
