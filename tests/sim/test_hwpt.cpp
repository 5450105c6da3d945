// Hardware page table objects: a paging HWPT is a domain of its own that
// follows its IOAS; a nest-parent HWPT is second-level; a nested HWPT runs
// the user's first-level table, whose cached translations only the user's
// invalidation removes (iommufd: IOMMU_HWPT_ALLOC, IOMMU_HWPT_INVALIDATE).
#include <gtest/gtest.h>

#include <cstring>

#include "model/host/guest_page_table.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

PlatformConfig hwpt_config() {
  PlatformConfig c = default_config_without_workloads();
  c.attach.clear();
  return c;
}

TEST(Hwpt, APagingHwptIsADomainOfItsOwnThatFollowsItsIoas) {
  TestBench tb(hwpt_config());
  auto& m = tb.platform().manager();
  auto& bus = tb.platform().host_bus();
  IoasCreated hwpt;
  DmaResult before_map, after_map, after_unmap;
  std::uint16_t ioas_did = 0;
  tb.run([&] {
    const IoasId as0 = tb.platform().ioas("as0");
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    hwpt = m.alloc_hwpt(ctx, "nic", as0);
    ASSERT_TRUE(hwpt.status.ok()) << hwpt.status.message;
    ioas_did = m.domain_id(as0);
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, hwpt.id).ok());
    // The mapping as0 had before the HWPT existed is in its table...
    bus.write64(*m.physical(as0, 0x100000), kMarker);
    before_map = tb.probe("nic0").issue({.address = 0x100000});
    // ...and so is one made after.
    ASSERT_TRUE(m.map(as0, 0x400000, 0x1000, true).ok());
    bus.write64(*m.physical(as0, 0x400000), kMarker + 1);
    after_map = tb.probe("nic0").issue({.address = 0x400000});
    // Strict unmap invalidates the HWPT's own domain.
    ASSERT_TRUE(m.unmap(as0, 0x400000, 0x1000).ok());
    after_unmap = tb.probe("nic0").issue({.address = 0x400000});
  });
  EXPECT_NE(m.domain_id(hwpt.id), ioas_did);
  EXPECT_NE(m.page_table_root(hwpt.id), m.page_table_root(tb.platform().ioas("as0")));
  EXPECT_TRUE(before_map.ok);
  EXPECT_EQ(first_word(before_map), kMarker);
  EXPECT_TRUE(after_map.ok);
  EXPECT_EQ(first_word(after_map), kMarker + 1);
  EXPECT_FALSE(after_unmap.ok);
  EXPECT_EQ(after_unmap.completion, CompletionStatus::UnsupportedRequest);
}

// The guest: 16 MiB of guest-physical memory at IOVA 0 of a host IOAS, its
// first-level table from GPA 8 MiB, one data page at GPA 0x10000 mapped
// at guest IOVA 0x100000.
struct Guest {
  IoasId memory = 0;
  HwptId parent = 0, nested = 0;
  std::unique_ptr<GuestPageTable> table;
};

Guest make_guest(IoasidManager& m, HostBus& bus, ContextId ctx) {
  Guest g;
  g.memory = m.create_ioas({.translation = IoasTranslation::FirstLevel}).id;
  EXPECT_TRUE(m.map(g.memory, 0, 16 << 20, true).ok());
  const IoasCreated parent = m.alloc_hwpt(ctx, "nic", g.memory, /*nest_parent=*/true);
  EXPECT_TRUE(parent.status.ok()) << parent.status.message;
  g.parent = parent.id;
  g.table = std::make_unique<GuestPageTable>(bus, m, g.memory, 8 << 20, 4);
  g.table->map(0x100000, 0x10000, 12, true);
  bus.write64(*m.physical(g.memory, 0x10000), kMarker);
  const IoasCreated nested =
      m.alloc_nested_hwpt(ctx, "nic", g.parent, {.root_gpa = g.table->root()});
  EXPECT_TRUE(nested.status.ok()) << nested.status.message;
  g.nested = nested.id;
  return g;
}

TEST(Hwpt, ANestedHwptTranslatesTheUsersTableThroughItsNestParent) {
  TestBench tb(hwpt_config());
  auto& m = tb.platform().manager();
  DmaResult r;
  Guest g;
  tb.run([&] {
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    g = make_guest(m, tb.platform().host_bus(), ctx);
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, g.nested).ok());
    r = tb.probe("nic0").issue({.address = 0x100000});
  });
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(first_word(r), kMarker);
  // The nested walk read the guest's table and the parent's second-level one.
  EXPECT_GT(tb.platform().stats().counter_value("iommu.sl_psc.pd.lookups"), 0u);
  EXPECT_EQ(m.page_table_root(g.nested), g.table->root());
}

TEST(Hwpt, AGuestsUnmapStaysVisibleUntilItInvalidatesAndLeafKeepsThePagingStructureCaches) {
  TestBench tb(hwpt_config());
  auto& m = tb.platform().manager();
  auto& s = tb.platform().stats();
  DmaResult stale, after_leaf, after_full;
  std::uint64_t psc_invalidations_leaf = 0, psc_invalidations_full = 0;
  tb.run([&] {
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    Guest g = make_guest(m, tb.platform().host_bus(), ctx);
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, g.nested).ok());
    ASSERT_TRUE(tb.probe("nic0").issue({.address = 0x100000}).ok);
    // The guest clears its PTE and has not invalidated: the IOTLB still
    // holds the translation (the guest's bug if it frees the page now).
    g.table->unmap(0x100000);
    stale = tb.probe("nic0").issue({.address = 0x100000});
    const auto before = s.counter_value("iommu.fl_psc.pd.invalidations");
    ASSERT_TRUE(
        m.invalidate_hwpt(ctx, g.nested,
                          {.label = "nic", .pasid = 1, .addr = 0x100000, .npages = 1, .leaf = true})
            .ok());
    psc_invalidations_leaf = s.counter_value("iommu.fl_psc.pd.invalidations") - before;
    after_leaf = tb.probe("nic0").issue({.address = 0x100000});
    // The same request without the leaf hint drops the PDE cached for it.
    ASSERT_TRUE(m.invalidate_hwpt(ctx, g.nested, {.addr = 0x100000, .npages = 1}).ok());
    psc_invalidations_full = s.counter_value("iommu.fl_psc.pd.invalidations") - before;
    after_full = tb.probe("nic0").issue({.address = 0x100000});
  });
  EXPECT_TRUE(stale.ok);
  EXPECT_EQ(first_word(stale), kMarker);
  EXPECT_FALSE(after_leaf.ok);
  EXPECT_EQ(psc_invalidations_leaf, 0u);
  EXPECT_EQ(psc_invalidations_full, 1u);
  EXPECT_FALSE(after_full.ok);
}

TEST(Hwpt, BadAllocationsAndInvalidationsAreRefusedWithTheirErrno) {
  TestBench tb(hwpt_config());
  auto& m = tb.platform().manager();
  tb.run([&] {
    const IoasId as0 = tb.platform().ioas("as0");
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    EXPECT_EQ(m.alloc_hwpt(ctx, "gpu", as0).status.code, ENOENT);
    EXPECT_EQ(m.alloc_hwpt(77, "nic", as0).status.code, EBADF);
    // iommufd_hwpt_alloc answers a pt_id it cannot look up with EINVAL.
    EXPECT_EQ(m.alloc_hwpt(ctx, "nic", 999).status.code, EINVAL);
    const HwptId paging = m.alloc_hwpt(ctx, "nic", as0).id;
    // A nested HWPT needs a nest parent, a 4/5-level table, an aligned root.
    EXPECT_EQ(m.alloc_nested_hwpt(ctx, "nic", paging, {.root_gpa = 0x1000}).status.code, EINVAL);
    const HwptId parent = m.alloc_hwpt(ctx, "nic", as0, true).id;
    EXPECT_EQ(
        m.alloc_nested_hwpt(ctx, "nic", parent, {.root_gpa = 0x1000, .levels = 3}).status.code,
        EINVAL);
    EXPECT_EQ(m.alloc_nested_hwpt(ctx, "nic", parent, {.root_gpa = 0x1234}).status.code, EINVAL);
    // The default IOMMU has a 48-bit address width: no 5-level first level
    // (EINVAL, intel_pasid_setup_nested).
    EXPECT_EQ(
        m.alloc_nested_hwpt(ctx, "nic", parent, {.root_gpa = 0x1000, .levels = 5}).status.code,
        EINVAL);
    const HwptId nested = m.alloc_nested_hwpt(ctx, "nic", parent, {.root_gpa = 0x1000}).id;
    // Invalidation is for nested HWPTs (iommufd_hwpt_invalidate: EINVAL
    // for a paging one), page-aligned, "everything" only from addr 0
    // (intel_nested_cache_invalidate_user), non-empty, in range.
    EXPECT_EQ(m.invalidate_hwpt(ctx, paging, {}).code, EINVAL);
    EXPECT_EQ(m.invalidate_hwpt(ctx, 999, {}).code, ENOENT);
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.addr = 0x1001, .npages = 1}).code, EINVAL);
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.addr = 0x1000}).code, EINVAL);  // npages ~0
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.addr = 0x1000, .npages = 0}).code, EINVAL);
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.addr = 1ull << 63, .npages = 1ull << 52}).code,
              EINVAL);
    // Nothing attached to it yet: nothing to invalidate, no error.
    EXPECT_TRUE(m.invalidate_hwpt(ctx, nested, {}).ok());
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, nested).ok());
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.pasid = 2}).code, ENOENT);
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.label = "gpu"}).code, ENOENT);
    EXPECT_TRUE(m.invalidate_hwpt(ctx, nested, {.label = "nic"}).ok());
    // Attached, an empty range and one past 2^64 are still refused
    // (simulator only: Linux flushes them unchecked; docs/errno.md).
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.addr = 0x1000, .npages = 0}).code, EINVAL);
    EXPECT_EQ(m.invalidate_hwpt(ctx, nested, {.addr = 1ull << 63, .npages = 1ull << 52}).code,
              EINVAL);
  });
}

TEST(Hwpt, HwptsInUseCannotBeDestroyedAndHoldTheirIoas) {
  TestBench tb(hwpt_config());
  auto& m = tb.platform().manager();
  tb.run([&] {
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    Guest g = make_guest(m, tb.platform().host_bus(), ctx);
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, g.nested).ok());
    EXPECT_EQ(m.destroy_ioas(g.memory).code, EBUSY);  // holds the parent HWPT
    EXPECT_EQ(m.destroy_hwpt(g.parent).code, EBUSY);  // has a nested child
    EXPECT_EQ(m.destroy_hwpt(g.nested).code, EBUSY);  // attached
    ASSERT_TRUE(m.detach_device(ctx, "nic", 1).ok());
    EXPECT_TRUE(m.destroy_hwpt(g.nested).ok());
    EXPECT_EQ(m.destroy_hwpt(g.nested).code, ENOENT);
    EXPECT_TRUE(m.destroy_hwpt(g.parent).ok());
    EXPECT_TRUE(m.destroy_ioas(g.memory).ok());
  });
}

TEST(Hwpt, ReplaceMovesADeviceBetweenAnIoasAndAHwptWithoutAFault) {
  TestBench tb(hwpt_config());
  auto& m = tb.platform().manager();
  DmaResult on_ioas, on_hwpt;
  Status replaced;
  tb.run([&] {
    const IoasId as0 = tb.platform().ioas("as0");
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "nic").ok());
    ASSERT_TRUE(m.attach_device(ctx, "nic", 1, as0).ok());
    on_ioas = tb.probe("nic0").issue({.address = 0x100000});
    const HwptId hwpt = m.alloc_hwpt(ctx, "nic", as0, true).id;
    replaced = m.replace_device(ctx, "nic", 1, hwpt);
    on_hwpt = tb.probe("nic0").issue({.address = 0x100000});
    EXPECT_EQ(m.destroy_hwpt(hwpt).code, EBUSY);
  });
  EXPECT_TRUE(on_ioas.ok);
  ASSERT_TRUE(replaced.ok()) << replaced.message;
  EXPECT_TRUE(on_hwpt.ok);
}

}  // namespace
}  // namespace iommu_sim::test
