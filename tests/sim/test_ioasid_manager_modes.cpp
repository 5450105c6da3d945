// The manager's address-space formats: each bad request is refused with the
// errno iommufd would give and changes nothing; large pages and nested
// guest memory behave as their tables say.
#include <gtest/gtest.h>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

PlatformConfig nested_config() {
  PlatformConfig c = default_config_without_workloads();
  make_nested(c);
  return c;
}

TEST(IoasidManagerModes, OptionsTheIommuOrTheFormatLacksAreRefused) {
  TestBench tb(default_config_without_workloads());
  auto& m = tb.platform().manager();
  std::vector<IoasCreated> results;
  tb.run([&] {
    // Address width 48: no 5-level first-level paging (CAP.FL5LP=0), no
    // 5-level second-level tables (SAGAW bit 3 clear).
    results.push_back(m.create_ioas({.levels = 5}));
    results.push_back(m.create_ioas({.translation = IoasTranslation::SecondLevel, .levels = 5}));
    results.push_back(m.create_ioas({.levels = 3}));
    results.push_back(m.create_ioas({.max_page_shift = 13}));
    results.push_back(m.create_ioas({.translation = IoasTranslation::Nested, .parent = 99}));
    // The default IOAS (id 1) is first-level: no parent for a guest.
    results.push_back(m.create_ioas({.translation = IoasTranslation::Nested, .parent = 1}));
    results.push_back(m.create_ioas({.translation = IoasTranslation::SecondLevel, .levels = 3}));
  });
  ASSERT_EQ(results.size(), 7u);
  EXPECT_EQ(results[0].status.code, ENODEV) << results[0].status.message;
  EXPECT_EQ(results[1].status.code, ENODEV);
  EXPECT_EQ(results[2].status.code, EINVAL);
  EXPECT_EQ(results[3].status.code, EINVAL);
  EXPECT_EQ(results[4].status.code, EINVAL);  // as a nested HWPT's parent
  EXPECT_EQ(results[5].status.code, EINVAL);
  // Refused calls used no object ID or domain ID: the next one gets id 3
  // (id 2 is as0's automatic HWPT, made by the config's attachment, as
  // iommufd_device_auto_get_domain makes one) and domain ID 2.
  ASSERT_TRUE(results[6].status.ok());
  EXPECT_EQ(results[6].id, 3u);
  EXPECT_EQ(m.domain_id(results[6].id), 2u);
}

TEST(IoasidManagerModes, MapBeyondAThreeLevelTableIsRefusedAndMapsNothing) {
  TestBench tb(default_config_without_workloads());
  auto& m = tb.platform().manager();
  Status beyond, inside;
  IoasId id = 0;
  tb.run([&] {
    id = m.create_ioas({.translation = IoasTranslation::SecondLevel, .levels = 3}).id;
    beyond = m.map(id, (1ull << 39) - 0x1000, 0x2000, true);
    inside = m.map(id, (1ull << 39) - 0x1000, 0x1000, true);
  });
  EXPECT_EQ(beyond.code, EINVAL);
  EXPECT_NE(beyond.message.find("3-level"), std::string::npos) << beyond.message;
  ASSERT_TRUE(inside.ok()) << inside.message;
  EXPECT_TRUE(m.physical(id, (1ull << 39) - 0x1000).has_value());
}

TEST(IoasidManagerModes, LargePagesAreUsedWhereAlignmentAllows) {
  TestBench tb(default_config_without_workloads());
  auto& m = tb.platform().manager();
  IoasId id = 0;
  std::uint64_t unmapped = 0;
  Status st;
  std::optional<std::uint64_t> head, tail, after;
  tb.run([&] {
    id = m.create_ioas({.max_page_shift = 21}).id;
    // 4 MiB + 4 KiB at a 2 MiB boundary: two 2 MiB leaves and one 4 KiB one.
    ASSERT_TRUE(m.map(id, 0x40000000, (4ull << 20) + 0x1000, true).ok());
    head = m.physical(id, 0x40000000);
    tail = m.physical(id, 0x40000000 + (4ull << 20));
    st = m.unmap(id, 0x40000000, (4ull << 20) + 0x1000, &unmapped);
    after = m.physical(id, 0x40000000 + 0x1ff000);
  });
  ASSERT_TRUE(head && tail);
  EXPECT_EQ(*head % (2ull << 20), 0u);  // memory aligned to the page size
  EXPECT_EQ(*tail, *head + (4ull << 20));
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(unmapped, (4ull << 20) + 0x1000);
  EXPECT_FALSE(after.has_value());
}

TEST(IoasidManagerModes, GuestMemoryCannotBeUnmappedUnderANestedIoas) {
  TestBench tb(nested_config());
  auto& p = tb.platform();
  Status st;
  tb.run([&] { st = p.manager().unmap(p.ioas("gpa"), 0, 64ull << 20); });
  EXPECT_EQ(st.code, EBUSY) << st.message;
  // Nothing changed: the guest's pages still reach host memory.
  EXPECT_TRUE(p.manager().physical(p.ioas("guest"), 0x100000).has_value());
  EXPECT_TRUE(p.manager().physical(p.ioas("gpa"), 0).has_value());
}

TEST(IoasidManagerModes, NestedGuestExhaustingItsMemoryGetsEnomem) {
  TestBench tb(nested_config());
  auto& p = tb.platform();
  Status st;
  tb.run([&] { st = p.manager().map(p.ioas("guest"), 0x10000000, 64ull << 20, true); });
  EXPECT_EQ(st.code, ENOMEM) << st.message;
  EXPECT_FALSE(p.manager().physical(p.ioas("guest"), 0x10000000).has_value());
}

TEST(IoasidManagerModes, TheAllocatorPicksFreeIovasAroundMappingsAndReservedRanges) {
  TestBench tb(default_config_without_workloads());
  auto& m = tb.platform().manager();
  IoasidManager::Mapped a, b, big, none;
  Status msi, reserve_busy, reserved_map;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  tb.run([&] {
    const IoasId id = m.create_ioas({.max_page_shift = 21}).id;
    a = m.map_anywhere(id, 0x3000, true);
    ASSERT_TRUE(m.reserve(id, 0x4000, 0x1000).ok());
    b = m.map_anywhere(id, 0x2000, true);      // skips the reserved page
    big = m.map_anywhere(id, 4u << 20, true);  // 2 MiB aligned
    msi = m.map(id, 0xFEE00000, 0x1000, true);
    reserve_busy = m.reserve(id, 0x2000, 0x1000);
    reserved_map = m.map(id, 0x4000, 0x1000, true);
    ranges = m.iova_ranges(id);
    none = m.map_anywhere(id, 1ull << 47, true);
  });
  ASSERT_TRUE(a.status.ok() && b.status.ok() && big.status.ok());
  EXPECT_EQ(a.iova, 0x1000u);
  EXPECT_EQ(b.iova, 0x5000u);
  EXPECT_EQ(big.iova, 0x200000u);
  EXPECT_EQ(msi.code, EINVAL) << msi.message;  // iopt_check_iova
  EXPECT_EQ(reserve_busy.code, EADDRINUSE);
  EXPECT_EQ(reserved_map.code, EINVAL);
  EXPECT_EQ(none.status.code, ENOSPC);
  // Usable: below the reserved page, between it and the interrupt window,
  // and above that to the end of the 47-bit lower half.
  using R = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  EXPECT_EQ(ranges, (R{{0, 0x3fff}, {0x5000, 0xFEDFFFFF}, {0xFEF00000, (1ull << 47) - 1}}));
}

TEST(IoasidManagerModes, CopyMapsTheSameMemoryAndRefusesHoles) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  auto& m = p.manager();
  Status ok, hole, overlap;
  std::optional<std::uint64_t> src, dst, untouched;
  tb.run([&] {
    const IoasId as0 = p.ioas("as0");
    const IoasId as1 = m.create_ioas().id;
    ok = m.copy(as1, 0x500000, as0, 0x180000, 0x2000);
    hole = m.copy(as1, 0x600000, as0, 0x1ff000, 0x2000);  // runs past as0's mapping
    overlap = m.copy(as1, 0x501000, as0, 0x100000, 0x1000);
    src = m.physical(as0, 0x181234);
    dst = m.physical(as1, 0x501234);
    untouched = m.physical(as1, 0x600000);
  });
  ASSERT_TRUE(ok.ok()) << ok.message;
  ASSERT_TRUE(src && dst);
  EXPECT_EQ(*dst, *src);
  EXPECT_EQ(hole.code, ENOENT);
  EXPECT_FALSE(untouched.has_value());  // the failed copy mapped nothing
  EXPECT_EQ(overlap.code, EEXIST);
}

TEST(IoasidManagerModes, ObjectsInUseCannotBeDestroyed) {
  PlatformConfig c = default_config_without_workloads();
  make_nested(c);
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  Status attached, parent, fresh, after, again;
  tb.run([&] {
    attached = m.destroy_ioas(p.ioas("guest"));  // nic0 is attached to it
    parent = m.destroy_ioas(p.ioas("gpa"));      // guest is nested on it
    const IoasId spare = m.create_ioas().id;
    fresh = m.destroy_ioas(spare);
    after = m.map(spare, 0x1000, 0x1000, true);
    again = m.destroy_ioas(spare);
  });
  EXPECT_EQ(attached.code, EBUSY) << attached.message;
  EXPECT_EQ(parent.code, EBUSY) << parent.message;
  EXPECT_TRUE(fresh.ok());
  EXPECT_EQ(after.code, ENOENT);
  EXPECT_EQ(again.code, ENOENT);
}

}  // namespace
}  // namespace iommu_sim::test
