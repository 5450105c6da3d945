// IovaMap: an IOAS's areas, reserved ranges and lazily unmapped ranges, and
// the errno each refusal carries (iommufd's io_pagetable rules).
#include "model/host/iova_map.h"

#include <gtest/gtest.h>

namespace iommu_sim {
namespace {

constexpr std::uint64_t kLimit = 1ull << 39;  // a 3-level second-level table

IovaMap with_areas() {
  IovaMap m(kLimit, "the IOAS's 3-level table");
  m.add(0x10000, {0x4000, 0x800000, true});
  m.add(0x14000, {0x2000, 0x900000, false});
  return m;
}

TEST(IovaMap, CheckFreeNamesEachReason) {
  IovaMap m = with_areas();
  EXPECT_EQ(m.check_free(0x1001, 0x1000, false).code, EINVAL);
  EXPECT_EQ(m.check_free(0x1000, 0, false).code, EINVAL);
  EXPECT_EQ(m.check_free(0xFFFF'FFFF'FFFF'F000ull, 0x2000, false).code, EOVERFLOW);
  // Ending at 2^64 exactly is no overflow (the last byte exists, as
  // iommufd's check_add_overflow(iova, length - 1) has it): only beyond
  // the table's IOVA space.
  EXPECT_EQ(m.check_free(0xFFFF'FFFF'FFFF'F000ull, 0x1000, false).code, EINVAL);
  const Status beyond = m.check_free(kLimit - 0x1000, 0x2000, false);
  EXPECT_EQ(beyond.code, EINVAL);
  EXPECT_NE(beyond.message.find("3-level"), std::string::npos);
  const Status inside = m.check_free(0x11000, 0x1000, false);
  EXPECT_EQ(inside.code, EEXIST);
  EXPECT_NE(inside.message.find("mapping at 0x10000"), std::string::npos);
  const Status straddling = m.check_free(0xF000, 0x2000, false);
  EXPECT_EQ(straddling.code, EEXIST);
  EXPECT_NE(straddling.message.find("mapping at 0x10000"), std::string::npos);
  EXPECT_EQ(m.check_free(0x15000, 0x1000, false).code, EEXIST);  // inside the second area
  // A reserved range is EINVAL (iopt_check_iova), checked before the
  // mappings: the MSI window, and a range over it and a mapping both.
  EXPECT_EQ(m.check_free(0xFEF00000 - 0x1000, 0x2000, false).code, EINVAL);
  m.add(0xFED00000, {0x100000, 0, true});
  EXPECT_EQ(m.check_free(0xFED00000, 0x200000, false).code, EINVAL);
  EXPECT_TRUE(m.check_free(0x16000, 0x1000, false).ok());
  EXPECT_TRUE(m.check_free(0xF000, 0x1000, false).ok());
}

TEST(IovaMap, APendingRangeIsBusyUntilReleasedUnlessTheBugReusesIt) {
  IovaMap m = with_areas();
  m.hold(0x20000, 0x22000);
  EXPECT_EQ(m.check_free(0x21000, 0x1000, false).code, EBUSY);
  EXPECT_TRUE(m.check_free(0x21000, 0x1000, true).ok());
  // find_free skips it too: the first 8 KiB hole at or after 0x16000 is
  // past the pending range.
  m.add(0x1000, {0xF000, 0, true});
  m.add(0x16000, {0xA000, 0, true});
  EXPECT_EQ(m.find_free(0x2000, 0x1000, false), 0x22000u);
  EXPECT_EQ(m.find_free(0x2000, 0x1000, true), 0x20000u);
  m.release(0x20000, 0x22000);
  EXPECT_TRUE(m.check_free(0x21000, 0x1000, false).ok());
}

TEST(IovaMap, FindFreeAlignsAndSkipsTheInterruptWindow) {
  IovaMap m(1ull << 33, "a table");
  // The lowest 2 MiB-aligned hole of 2 MiB: IOVA 0 is never handed out.
  EXPECT_EQ(m.find_free(0x200000, 0x200000, false), 0x200000u);
  m.add(0x1000, {0xFEE00000 - 0x1000, 0, true});
  // What is left below 4 GiB starts at the end of the interrupt window.
  EXPECT_EQ(m.find_free(0x1000, 0x1000, false), 0xFEF00000u);
  EXPECT_EQ(m.find_free(1ull << 33, 0x1000, false), std::nullopt);
}

TEST(IovaMap, WholeAreasRefusesToCutAMappingAndSpansWhatItTakes) {
  IovaMap m = with_areas();
  EXPECT_EQ(m.whole_areas(0x11000, 0x1000).status.code, ENOENT);  // cuts the first
  EXPECT_EQ(m.whole_areas(0x10000, 0x5000).status.code, ENOENT);  // cuts the second
  EXPECT_EQ(m.whole_areas(0x30000, 0x1000).status.code, ENOENT);  // nothing there
  EXPECT_EQ(m.whole_areas(0x10000, 0).status.code, EINVAL);
  // Past 2^64 is EOVERFLOW; ending at 2^64 exactly is a range with nothing.
  EXPECT_EQ(m.whole_areas(0xFFFF'FFFF'FFFF'F000ull, 0x2000).status.code, EOVERFLOW);
  EXPECT_EQ(m.whole_areas(0xFFFF'FFFF'FFFF'F000ull, 0x1000).status.code, ENOENT);
  const IovaMap::Span span = m.whole_areas(0x8000, 0x20000);
  ASSERT_TRUE(span.status.ok());
  EXPECT_EQ(span.lo, 0x10000u);
  EXPECT_EQ(span.hi, 0x16000u);
  EXPECT_EQ(span.bytes, 0x6000u);
  EXPECT_EQ(span.areas.size(), 2u);
  m.remove(span);
  EXPECT_TRUE(m.areas().empty());
}

TEST(IovaMap, PiecesFollowAreasWithTheirOffsetsAndStopAtAHole) {
  const IovaMap m = with_areas();
  const IovaMap::Pieces p = m.pieces(0x12000, 0x3000);
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.pieces.size(), 2u);
  EXPECT_EQ(p.pieces[0].first, 0u);
  EXPECT_EQ(p.pieces[0].second.physical, 0x802000u);
  EXPECT_EQ(p.pieces[0].second.length, 0x2000u);
  EXPECT_EQ(p.pieces[1].first, 0x2000u);
  EXPECT_EQ(p.pieces[1].second.physical, 0x900000u);
  EXPECT_FALSE(p.pieces[1].second.writable);
  const IovaMap::Pieces hole = m.pieces(0x15000, 0x2000);
  EXPECT_EQ(hole.status.code, ENOENT);
  EXPECT_NE(hole.status.message.find("0x16000"), std::string::npos);
  EXPECT_EQ(m.pieces(0x10000, 0).status.code, EINVAL);
  EXPECT_EQ(m.pieces(0xFFFF'FFFF'FFFF'F000ull, 0x2000).status.code, EOVERFLOW);
  EXPECT_EQ(m.pieces(0xFFFF'FFFF'FFFF'F000ull, 0x1000).status.code, ENOENT);
}

TEST(IovaMap, ReservedRangesAreCutOutOfTheAllowedRanges) {
  IovaMap m = with_areas();
  EXPECT_EQ(m.reserve(0x14000, 0x1000).code, EADDRINUSE);
  EXPECT_EQ(m.reserve(0x40000, 0).code, EINVAL);
  ASSERT_TRUE(m.reserve(0x40000, 0x10000).ok());
  EXPECT_EQ(m.check_free(0x48000, 0x1000, false).code, EINVAL);
  const IovaMap::Ranges expected{{0, 0x3FFFF}, {0x50000, 0xFEDFFFFF}, {0xFEF00000, kLimit - 1}};
  EXPECT_EQ(m.allowed(), expected);
}

// IOMMU_IOAS_ALLOW_IOVAS: the allowed list limits find_free only, each
// range searched from its start aligned up, adjacent ranges as one.
TEST(IovaMap, AllowedRangesBoundTheAllocatorNotFixedMappings) {
  IovaMap m = with_areas();
  EXPECT_EQ(m.set_allowed({{0x20000, 0x20000}}).code, EINVAL);
  EXPECT_EQ(m.set_allowed({{0x20000, 0x2ffff}, {0x2f000, 0x3ffff}}).code, EINVAL);
  EXPECT_EQ(m.set_allowed({{0xFEE00000, 0xFEE00FFF}}).code, EADDRINUSE);
  EXPECT_EQ(m.set_allowed({{kLimit - 0x1000, kLimit}}).code, EADDRINUSE);
  // Allowed over areas is fine: only reserved ranges are refused.
  ASSERT_TRUE(m.set_allowed({{0x13000, 0x17fff}, {0x12800, 0x12fff}}).ok());
  // [0x12800, 0x18000): the areas end at 0x16000.
  EXPECT_EQ(m.find_free(0x1000, 0x1000, false), 0x16000u);
  EXPECT_EQ(m.find_free(0x3000, 0x1000, false), std::nullopt);
  EXPECT_EQ(m.find_free(0x2000, 0x2000, false), 0x16000u);
  EXPECT_TRUE(m.check_free(0x30000, 0x1000, false).ok());  // fixed: not limited
  EXPECT_EQ(m.reserve(0x17000, 0x1000).code, EADDRINUSE);  // iopt_reserve_iova
  const IovaMap::Ranges holes{{0, 0xFEDFFFFF}, {0xFEF00000, kLimit - 1}};
  EXPECT_EQ(m.allowed(), holes);  // IOVA_RANGES ignores the list
  ASSERT_TRUE(m.set_allowed({}).ok());
  EXPECT_EQ(m.find_free(0x1000, 0x1000, false), 0x1000u);
}

}  // namespace
}  // namespace iommu_sim
