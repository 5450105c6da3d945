// The ownership rules of the ioasid manager: a context binds devices and so
// claims their IOMMU groups; a device is attached only when its whole group
// is bound to the same context; detach and close return devices to the
// blocking domain, whose DMA never reaches memory; a failed call changes
// nothing.
#include <gtest/gtest.h>

#include <array>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

struct Dma {
  bool ok;
  std::uint64_t memory_reads;  // data reads that reached memory
};

Dma read_from(TestBench& tb, const std::string& function) {
  auto& s = tb.platform().stats();
  const auto before = s.counter_value("memory.reads") - s.counter_value("iommu.walk.memory_reads");
  const DmaResult r = tb.probe(function).issue({.address = 0x100040});
  const auto after = s.counter_value("memory.reads") - s.counter_value("iommu.walk.memory_reads");
  return {r.ok, after - before};
}

TEST(IoasidContexts, AttachBeforeTheWholeGroupIsBoundFailsAndNamesTheOthers) {
  TestBench tb(two_groups_config_without_attachments());
  auto& m = tb.platform().manager();
  Status bind, early, late;
  Dma blocked{}, allowed{};
  tb.run([&] {
    const IoasId as0 = tb.platform().ioas("as0");
    const ContextId ctx = m.open_context();
    bind = m.bind(ctx, "nic.0", "vf0");
    early = m.attach_device(ctx, "vf0", 1, as0);
    blocked = read_from(tb, "nic.0");  // still in the blocking domain
    ASSERT_TRUE(m.bind(ctx, "nic.1", "vf1").ok());
    late = m.attach_device(ctx, "vf0", 1, as0);
    allowed = read_from(tb, "nic.0");
  });
  ASSERT_TRUE(bind.ok()) << bind.message;
  EXPECT_EQ(early.code, EPERM);
  EXPECT_NE(early.message.find("not wholly bound to this context: nic.1"), std::string::npos)
      << early.message;
  EXPECT_FALSE(blocked.ok);
  EXPECT_EQ(blocked.memory_reads, 0u);
  ASSERT_TRUE(late.ok()) << late.message;
  EXPECT_TRUE(allowed.ok);
  EXPECT_EQ(allowed.memory_reads, 1u);
}

TEST(IoasidContexts, AGroupOwnedByOneContextCannotBeBoundByAnother) {
  TestBench tb(two_groups_config_without_attachments());
  auto& m = tb.platform().manager();
  Status other, again, dup_label, unknown_dev, unknown_ctx, after_close, rebound;
  tb.run([&] {
    const ContextId a = m.open_context();
    const ContextId b = m.open_context();
    ASSERT_TRUE(m.bind(a, "nic.0", "n0").ok());
    other = m.bind(b, "nic.1", "n1");
    again = m.bind(a, "nic.0", "n0bis");
    dup_label = m.bind(a, "ssd", "n0");
    unknown_dev = m.bind(a, "gpu", "g");
    unknown_ctx = m.bind(99, "ssd", "s");
    // Nothing changed: a still owns the group, b can bind the free ssd.
    ASSERT_TRUE(m.bind(b, "ssd", "s").ok());
    ASSERT_TRUE(m.close_context(a).ok());
    after_close = m.bind(b, "nic.1", "n1");
    // Closing a gave up its binding of nic.0 too.
    rebound = m.bind(b, "nic.0", "n0");
  });
  EXPECT_EQ(other.code, EPERM);
  EXPECT_NE(other.message.find("owned by context 1"), std::string::npos) << other.message;
  EXPECT_EQ(again.code, EINVAL);
  EXPECT_EQ(dup_label.code, EEXIST);
  EXPECT_EQ(unknown_dev.code, ENOENT);
  EXPECT_EQ(unknown_ctx.code, EBADF);  // a context is a file descriptor
  EXPECT_TRUE(after_close.ok()) << after_close.message;
  EXPECT_TRUE(rebound.ok()) << rebound.message;
}

TEST(IoasidContexts, DetachAndCloseReturnDevicesToTheBlockingDomain) {
  TestBench tb(two_groups_config_without_attachments());
  auto& m = tb.platform().manager();
  Dma attached{}, detached{}, reattached{}, closed{};
  Status detach, detach_again, close;
  std::uint64_t waits_before = 0, waits_after = 0;
  tb.run([&] {
    const IoasId as0 = tb.platform().ioas("as0");
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "ssd", "disk").ok());
    ASSERT_TRUE(m.attach_device(ctx, "disk", 1, as0).ok());
    attached = read_from(tb, "ssd");
    waits_before = tb.platform().driver().waits_completed();
    detach = m.detach_device(ctx, "disk", 1);
    waits_after = tb.platform().driver().waits_completed();
    detached = read_from(tb, "ssd");
    detach_again = m.detach_device(ctx, "disk", 1);
    ASSERT_TRUE(m.attach_device(ctx, "disk", 1, as0).ok());
    reattached = read_from(tb, "ssd");
    close = m.close_context(ctx);
    closed = read_from(tb, "ssd");
  });
  EXPECT_TRUE(attached.ok);
  ASSERT_TRUE(detach.ok()) << detach.message;
  // The detach returned only after its invalidation wait completed, and
  // the translation cached by the first DMA was gone with it.
  EXPECT_EQ(waits_after, waits_before + 1);
  EXPECT_FALSE(detached.ok);
  EXPECT_EQ(detached.memory_reads, 0u);
  EXPECT_TRUE(detach_again.ok()) << detach_again.message;  // nothing to detach, as in Linux
  EXPECT_TRUE(reattached.ok);
  ASSERT_TRUE(close.ok()) << close.message;
  EXPECT_FALSE(closed.ok);
  EXPECT_EQ(closed.memory_reads, 0u);
}

TEST(IoasidContexts, ReplaceUnderLiveDmaNeverLeavesTheDeviceWithoutATranslation) {
  // ssd reads 0x100040 back to back while the host moves it from as0 to
  // as1: every DMA translates (no fault), those after the replace returned
  // read as1's memory.
  PlatformConfig c = two_groups_config_without_attachments();
  c.address_spaces.push_back({.name = "as1", .mappings = {{.iova = 0x100000, .size = 1u << 20}}});
  TestBench tb(c);
  auto& p = tb.platform();
  auto& m = p.manager();
  Status replace;
  int dmas = 0, faults = 0;
  std::uint64_t as1_reads_after = 0;
  bool done = false;
  tb.run([&] {
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "ssd", "disk").ok());
    ASSERT_TRUE(m.attach_device(ctx, "disk", 1, p.ioas("as0")).ok());
    sc_core::sc_spawn([&] {
      while (!done) {
        const DmaResult r = tb.probe("ssd").issue({.address = 0x100040});
        ++dmas;
        faults += r.ok ? 0 : 1;
      }
    });
    sc_core::wait(sc_core::sc_time(5, sc_core::SC_US));
    replace = m.replace_device(ctx, "disk", 1, p.ioas("as1"));
    // From here on the device's DMA uses as1's table.
    const std::uint64_t pa = *m.physical(p.ioas("as1"), 0x100040);
    std::array<std::uint8_t, 64> marker{};
    marker.fill(0x5a);
    p.memory().store().write(pa, marker);
    const DmaResult r = tb.probe("ssd").issue({.address = 0x100040});
    as1_reads_after = r.ok && r.data == std::vector<std::uint8_t>(64, 0x5a) ? 1 : 0;
    sc_core::wait(sc_core::sc_time(5, sc_core::SC_US));
    done = true;
  });
  ASSERT_TRUE(replace.ok()) << replace.message;
  EXPECT_GT(dmas, 20);
  EXPECT_EQ(faults, 0);
  EXPECT_EQ(as1_reads_after, 1u);
}

TEST(IoasidContexts, CapabilitiesAreReadFromTheIommusRegisters) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.iommu.address_width = 57;
  TestBench tb(c);
  auto& m = tb.platform().manager();
  IoasidManager::Capabilities caps, unknown;
  tb.run([&] {
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "ssd", "disk").ok());
    caps = m.capabilities(ctx, "disk");
    unknown = m.capabilities(ctx, "nope");
  });
  ASSERT_TRUE(caps.status.ok());
  EXPECT_EQ(caps.address_width, 57u);
  EXPECT_EQ(caps.pasid_bits, 20u);
  EXPECT_EQ(caps.page_sizes, (1ull << 12) | (1ull << 21) | (1ull << 30));
  EXPECT_TRUE(caps.first_level_5_level);
  EXPECT_TRUE(caps.nesting);
  EXPECT_TRUE(caps.ats);  // ECAP.DT: the IOMMU serves device TLBs (ATS)
  EXPECT_EQ(unknown.status.code, ENOENT);
}

TEST(IoasidContexts, FaultsReachTheContextThatBindsTheDeviceTaggedWithItsLabel) {
  TestBench tb(two_groups_config_without_attachments());
  auto& p = tb.platform();
  auto& m = p.manager();
  std::vector<IoasidManager::LabelledFault> mine, theirs, again;
  tb.run([&] {
    const ContextId a = m.open_context();
    const ContextId b = m.open_context();
    ASSERT_TRUE(m.bind(a, "ssd", "disk").ok());
    ASSERT_TRUE(m.attach_device(a, "disk", 1, p.ioas("as0")).ok());
    ASSERT_TRUE(m.bind(b, "nic.0", "n0").ok());
    tb.probe("ssd").issue({.address = 0x300040, .write = true});  // outside as0's mapping
    mine = m.read_faults(a);
    theirs = m.read_faults(b);
    again = m.read_faults(a);
  });
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].label, "disk");
  EXPECT_EQ(mine[0].reason, 0x71);  // first-level entry not present
  EXPECT_EQ(mine[0].page, 0x300000u);
  EXPECT_TRUE(mine[0].pasid_present);
  EXPECT_EQ(mine[0].pasid, 1u);
  EXPECT_TRUE(mine[0].write);
  EXPECT_TRUE(theirs.empty());
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace iommu_sim::test
