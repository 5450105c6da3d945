// The iommufd calls and arguments beyond the basic ones: objects owned by
// a context (found only by it, destroyed when it closes), IOMMU_IOAS_MAP's
// flags, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_HWPT_ALLOC's flags and data types,
// IOMMU_HWPT_INVALIDATE's array, and the automatic HWPT an attachment to
// an IOAS uses. Each refused call is checked to have changed nothing (not
// a byte of memory, no invalidation), and each call that changes what a
// device reaches is checked with a DMA.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/host/guest_page_table.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace uapi = iommufd;

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

class IommufdCalls : public ::testing::Test {
 protected:
  IommufdCalls() : IommufdCalls(two_groups_config_without_attachments()) {}
  explicit IommufdCalls(PlatformConfig c) : tb_(std::move(c)), m_(tb_.platform().manager()) {}

  // A context binding the nic's two functions ("vf0", "vf1": one group)
  // and the ssd ("disk").
  ContextId open_all() {
    const ContextId ctx = m_.open_context();
    EXPECT_TRUE(m_.bind(ctx, "nic.0", "vf0").ok());
    EXPECT_TRUE(m_.bind(ctx, "nic.1", "vf1").ok());
    EXPECT_TRUE(m_.bind(ctx, "ssd", "disk").ok());
    return ctx;
  }

  // `call` must fail with `code` and leave memory and the invalidation
  // queue exactly as they were.
  void expect_refused(int code, const std::function<Status()>& call) {
    const std::uint64_t memory = tb_.platform().memory().store().digest();
    const std::uint64_t descriptors = counter("iommu.qi.descriptors");
    const Status s = call();
    EXPECT_EQ(s.code, code) << s.message;
    EXPECT_FALSE(s.message.empty());
    EXPECT_EQ(tb_.platform().memory().store().digest(), memory) << "a refused call wrote memory";
    EXPECT_EQ(counter("iommu.qi.descriptors"), descriptors) << "a refused call invalidated";
  }
  void expect_refused_alloc(int code, const std::function<IoasCreated()>& call) {
    expect_refused(code, [&] { return call().status; });
  }

  std::uint64_t counter(const std::string& name) {
    return tb_.platform().stats().counter_value(name);
  }
  IoasId new_ioas(IoasOptions o = {}) {
    const IoasCreated c = m_.create_ioas(o);
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    return c.id;
  }
  HwptId new_hwpt(ContextId ctx, const std::string& label, IoasId pt, const HwptAlloc& args) {
    const IoasCreated c = m_.alloc_hwpt(ctx, label, pt, args);
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    return c.id;
  }
  bool dma(const std::string& fn, std::uint64_t iova, bool write = false, std::uint32_t pasid = 1) {
    return tb_.probe(fn).issue({.address = iova, .write = write, .pasid = pasid}).ok;
  }

  TestBench tb_;
  IoasidManager& m_;
};

// A guest with a virtual IOMMU: 16 MiB of guest memory at IOVA 0 of a
// first-level IOAS, a nest-parent HWPT on it, the guest's own table from
// GPA 8 MiB mapping guest IOVAs 0x100000, 0x101000, 0x102000 to GPAs
// 0x10000, 0x11000, 0x12000, and a nested HWPT on the two.
struct Guest {
  IoasId memory = 0;
  HwptId parent = 0, nested = 0;
  std::unique_ptr<GuestPageTable> table;
};

Guest make_guest(IoasidManager& m, HostBus& bus, ContextId ctx, const std::string& label,
                 ContextId owner) {
  Guest g;
  g.memory = m.create_ioas({.owner = owner}).id;
  EXPECT_TRUE(m.map(g.memory, 0, 16 * kMiB, true).ok());
  const IoasCreated parent =
      m.alloc_hwpt(ctx, label, g.memory, HwptAlloc{.flags = uapi::kHwptAllocNestParent});
  EXPECT_TRUE(parent.status.ok()) << parent.status.message;
  g.parent = parent.id;
  g.table = std::make_unique<GuestPageTable>(bus, m, g.memory, 8 * kMiB, 4);
  for (std::uint64_t i = 0; i < 3; ++i)
    g.table->map(0x100000 + i * 4096, 0x10000 + i * 4096, 12, true);
  const IoasCreated nested = m.alloc_hwpt(ctx, label, g.parent,
                                          HwptAlloc{.data_type = uapi::kHwptDataVtdS1,
                                                    .data_len = uapi::kHwptVtdS1Size,
                                                    .stage1 = {.root_gpa = g.table->root()}});
  EXPECT_TRUE(nested.status.ok()) << nested.status.message;
  g.nested = nested.id;
  return g;
}

// 1. Objects belong to a context.

class ContextObjects : public IommufdCalls {
 protected:
  ContextObjects() : IommufdCalls(config()) {}
  static PlatformConfig config() {
    PlatformConfig c = two_groups_config_without_attachments();
    c.iommu.domain_id_bits = 4;  // 15 domain IDs; as0 holds the first
    return c;
  }
};

TEST_F(ContextObjects, ClosingAContextDestroysItsObjectsAndFreesTheirDomainIds) {
  tb_.run([&] {
    const ContextId vmm = m_.open_context();
    ASSERT_TRUE(m_.bind(vmm, "ssd", "disk").ok());
    Guest g = make_guest(m_, tb_.platform().host_bus(), vmm, "disk", vmm);
    ASSERT_TRUE(m_.attach_device(vmm, "disk", 1, g.nested).ok());
    ASSERT_TRUE(dma("ssd", 0x100000));
    const std::vector<std::uint16_t> dids{m_.domain_id(g.memory), m_.domain_id(g.parent),
                                          m_.domain_id(g.nested)};
    EXPECT_EQ(dids, (std::vector<std::uint16_t>{2, 3, 4}));

    // Detach, then destroy nested, parent, IOAS (iommufd_fops_release's
    // passes): only the nested domain was ever used by a device, so it
    // alone needs a domain-selective IOTLB invalidation before its ID
    // goes back.
    const std::uint64_t iotlb = counter("iommu.qi.iotlb");
    ASSERT_TRUE(m_.close_context(vmm).ok());
    EXPECT_EQ(counter("iommu.qi.iotlb"), iotlb + 1);

    EXPECT_FALSE(dma("ssd", 0x100000));
    EXPECT_FALSE(dma("ssd", 0x100000, true));
    expect_refused(ENOENT, [&] { return m_.destroy_hwpt(g.nested); });
    expect_refused(ENOENT, [&] { return m_.destroy_hwpt(g.parent); });
    expect_refused(ENOENT, [&] { return m_.destroy_ioas(g.memory); });
    expect_refused(ENOENT, [&] { return m_.map(g.memory, 32 * kMiB, 4096, true); });
    const ContextId next = m_.open_context();
    ASSERT_TRUE(m_.bind(next, "ssd", "disk").ok());
    for (IoasId id : {g.memory, g.parent, g.nested}) {
      expect_refused(ENOENT, [&] { return m_.attach_device(next, "disk", 1, id); });
    }
    // Every domain ID but as0's is free again, the freed ones first.
    std::vector<std::uint16_t> free_ids;
    while (const auto id = m_.allocate_domain_id()) free_ids.push_back(*id);
    ASSERT_EQ(free_ids.size(), 14u);
    EXPECT_EQ(free_ids.front(), 2u);
    EXPECT_EQ(free_ids.back(), 15u);
  });
}

TEST_F(ContextObjects, AnotherContextsObjectsAreNotFoundWhileThePlatformsAreShared) {
  tb_.run([&] {
    const ContextId a = m_.open_context();
    ASSERT_TRUE(m_.bind(a, "ssd", "disk").ok());
    const ContextId b = m_.open_context();
    ASSERT_TRUE(m_.bind(b, "nic.0", "vf0").ok());
    ASSERT_TRUE(m_.bind(b, "nic.1", "vf1").ok());
    const IoasId mine = new_ioas({.translation = IoasTranslation::SecondLevel, .owner = a});
    ASSERT_TRUE(m_.map(mine, kMiB, kMiB, true).ok());
    const IoasId as0 = tb_.platform().ioas("as0");
    const HwptId parent = new_hwpt(a, "disk", as0, HwptAlloc{.flags = uapi::kHwptAllocNestParent});

    // b finds neither a's IOAS nor a's HWPT (on the platform's IOAS).
    expect_refused(ENOENT, [&] { return m_.attach_device(b, "vf0", 1, mine); });
    expect_refused(ENOENT, [&] { return m_.attach_device(b, "vf0", 1, parent); });
    // iommufd_hwpt_alloc answers a pt_id it cannot look up with EINVAL.
    expect_refused_alloc(EINVAL, [&] { return m_.alloc_hwpt(b, "vf0", mine); });
    expect_refused_alloc(EINVAL,
                         [&] { return m_.alloc_nested_hwpt(b, "vf0", parent, {.root_gpa = 0}); });
    // A nested IOAS's parent it cannot find is EINVAL, as a nested HWPT's
    // (iommufd_hwpt_alloc); an owner that is not open is EBADF.
    expect_refused_alloc(EINVAL, [&] {
      return m_.create_ioas({.translation = IoasTranslation::Nested, .parent = mine, .owner = b});
    });
    expect_refused_alloc(EBADF, [&] { return m_.create_ioas({.owner = 77}); });
    EXPECT_FALSE(dma("nic.0", kMiB));

    // The platform's IOAS is everyone's: both attach, both get its one
    // automatic HWPT, both reach it.
    HwptId pt_a = 0, pt_b = 0;
    ASSERT_TRUE(m_.attach_device(a, "disk", 1, as0, &pt_a).ok());
    ASSERT_TRUE(m_.attach_device(b, "vf0", 1, as0, &pt_b).ok());
    EXPECT_NE(pt_a, 0u);
    EXPECT_EQ(pt_a, pt_b);
    EXPECT_TRUE(dma("ssd", 0x100000));
    EXPECT_TRUE(dma("nic.0", 0x100000));
    const HwptId theirs = new_hwpt(b, "vf0", as0, HwptAlloc{});
    EXPECT_NE(theirs, 0u);
    // A replace to a's IOAS is refused as an attach is, and changes nothing.
    expect_refused(ENOENT, [&] { return m_.replace_device(b, "vf0", 1, mine); });
    EXPECT_TRUE(dma("nic.0", 0x100000));

    // Closing a destroys its HWPT on as0, not as0 nor b's HWPT on it.
    ASSERT_TRUE(m_.close_context(a).ok());
    expect_refused(ENOENT, [&] { return m_.destroy_hwpt(parent); });
    EXPECT_TRUE(dma("nic.0", 0x100000));
    EXPECT_FALSE(dma("ssd", 0x100000));
    EXPECT_EQ(m_.destroy_ioas(as0).code, EBUSY);  // nic.0 attached, b's HWPT on it
  });
}

// 2. IOMMU_IOAS_MAP's flags.

TEST_F(IommufdCalls, MapFlagsAreCheckedInIommufdsOrderAndAutomaticIovasAreReturned) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, a).ok());
    const std::uint32_t rw = uapi::kIoasMapReadable | uapi::kIoasMapWriteable;
    const std::uint32_t fixed = uapi::kIoasMapFixedIova;
    auto refused = [&](int code, IoasId ioas, std::uint32_t flags, std::uint64_t iova,
                       std::uint64_t length) {
      expect_refused(code, [&] { return m_.map_user(ioas, flags, iova, length).status; });
    };
    // iommufd_ioas_map: unknown flags, then 2^64 - 1, then no permission,
    // all before the IOAS is looked up.
    refused(EOPNOTSUPP, 999, 1u << 3 | fixed, kMiB, 4096);
    refused(EOVERFLOW, 999, fixed | rw, ~0ull, 4096);
    refused(EOVERFLOW, 999, rw, 0, ~0ull);
    refused(EINVAL, 999, fixed, kMiB, 4096);
    refused(ENOENT, 999, fixed | rw, kMiB, 4096);
    refused(EINVAL, a, fixed | rw, kMiB + 1, 4096);
    refused(EOVERFLOW, a, rw, 0, 1ull << 63);  // iopt_alloc_iova
    refused(ENOSPC, a, rw, 0, 1ull << 47);
    EXPECT_FALSE(m_.physical(a, kMiB).has_value());

    // FIXED_IOVA maps where it is told and returns that IOVA.
    const auto at = m_.map_user(a, fixed | rw, 4 * kMiB, 8192);
    ASSERT_TRUE(at.status.ok()) << at.status.message;
    EXPECT_EQ(at.iova, 4 * kMiB);
    // Without it the input IOVA is ignored: the lowest free IOVA from 4 KiB.
    const auto first = m_.map_user(a, rw, 0x7777000, 0x3000);
    const auto second = m_.map_user(a, uapi::kIoasMapReadable, 0, 0x1000);
    ASSERT_TRUE(first.status.ok() && second.status.ok());
    EXPECT_EQ(first.iova, 0x1000u);
    EXPECT_EQ(second.iova, 0x4000u);
    EXPECT_TRUE(dma("ssd", 0x1000, true));
    EXPECT_TRUE(dma("ssd", 0x4000));
    EXPECT_FALSE(dma("ssd", 0x4000, true));  // READABLE only
    EXPECT_TRUE(dma("ssd", 4 * kMiB + 4096, true));
    refused(EEXIST, a, fixed | rw, 0x2000, 4096);
  });
}

TEST_F(IommufdCalls, WriteOnlyMappingsAreWriteOnlyInSecondLevelTablesAndReadableInFirstLevelOnes) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    const std::uint32_t write_only = uapi::kIoasMapFixedIova | uapi::kIoasMapWriteable;
    // A first-level IOAS (disk) with a nest-parent, second-level HWPT
    // (vf0): each domain gets the mapping in its table's format.
    const IoasId fl = new_ioas();
    const HwptId sl = new_hwpt(ctx, "vf0", fl, HwptAlloc{.flags = uapi::kHwptAllocNestParent});
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, fl).ok());
    ASSERT_TRUE(m_.attach_device(ctx, "vf0", 1, sl).ok());
    ASSERT_TRUE(m_.map_user(fl, write_only, 2 * kMiB, 4096).status.ok());
    EXPECT_TRUE(dma("ssd", 2 * kMiB, true));
    EXPECT_TRUE(dma("ssd", 2 * kMiB));  // P grants reads in a first-level entry
    EXPECT_TRUE(dma("nic.0", 2 * kMiB, true));
    EXPECT_FALSE(dma("nic.0", 2 * kMiB));  // R=0, W=1
    // A second-level IOAS alike.
    const IoasId ioas_sl = new_ioas({.translation = IoasTranslation::SecondLevel});
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 2, ioas_sl).ok());
    ASSERT_TRUE(m_.map_user(ioas_sl, write_only, 2 * kMiB, 4096).status.ok());
    EXPECT_TRUE(dma("ssd", 2 * kMiB, true, 2));
    EXPECT_FALSE(dma("ssd", 2 * kMiB, false, 2));
    // A copy keeps the permissions.
    ASSERT_TRUE(m_.copy(ioas_sl, 3 * kMiB, fl, 2 * kMiB, 4096).ok());
    EXPECT_FALSE(dma("ssd", 3 * kMiB, false, 2));
    EXPECT_TRUE(dma("ssd", 3 * kMiB, true, 2));
  });
}

// 3. IOMMU_IOAS_ALLOW_IOVAS.

TEST_F(IommufdCalls, AllowedRangesLimitAutomaticIovasOnly) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, a).ok());
    ASSERT_TRUE(m_.map(a, kMiB, 4096, true).ok());  // outside the list to come
    const Ranges all{{0, 0xFEDFFFFF}, {0xFEF00000, (1ull << 47) - 1}};
    ASSERT_EQ(m_.iova_ranges(a), all);

    ASSERT_TRUE(m_.allow_iovas(a, {{0x10000000, 0x10ffffff}}).ok());
    // Refused lists keep the old one (iommufd_ioas_load_iovas,
    // iopt_set_allow_iova).
    expect_refused(ENOENT, [&] { return m_.allow_iovas(999, {}); });
    expect_refused(EINVAL, [&] { return m_.allow_iovas(a, {{0x5000, 0x5000}}); });
    expect_refused(EINVAL, [&] { return m_.allow_iovas(a, {{0x6000, 0x5000}}); });
    expect_refused(EINVAL, [&] { return m_.allow_iovas(a, {{0x1000, 0x1fff}, {0x1800, 0x2fff}}); });
    expect_refused(EADDRINUSE, [&] { return m_.allow_iovas(a, {{0xFEE00000, 0xFEE00fff}}); });
    expect_refused(EADDRINUSE, [&] {
      return m_.allow_iovas(a, {{1ull << 47, (1ull << 47) + 0xfff}});
    });
    // A device's reserved range may not cut an allowed one (iopt_reserve_iova).
    expect_refused(EADDRINUSE, [&] { return m_.reserve(a, 0x10800000, 4096); });

    const auto first = m_.map_anywhere(a, 0x2000, true);
    const auto second = m_.map_anywhere(a, 0x1000, true);
    ASSERT_TRUE(first.status.ok() && second.status.ok());
    EXPECT_EQ(first.iova, 0x10000000u);
    EXPECT_EQ(second.iova, 0x10002000u);
    EXPECT_TRUE(dma("ssd", 0x10002000, true));
    // Fixed mappings and the one made before the list are not limited.
    ASSERT_TRUE(m_.map(a, 2 * kMiB, 4096, true).ok());
    EXPECT_TRUE(dma("ssd", kMiB));
    EXPECT_TRUE(dma("ssd", 2 * kMiB));
    // IOVA_RANGES reports the holes of the reserved ranges only.
    EXPECT_EQ(m_.iova_ranges(a), all);

    // Adjacent ranges are one span; a start is aligned up.
    ASSERT_TRUE(m_.allow_iovas(a, {{0x30001000, 0x30001fff}, {0x30000000, 0x30000fff}}).ok());
    const auto across = m_.map_anywhere(a, 0x2000, true);
    ASSERT_TRUE(across.status.ok()) << across.status.message;
    EXPECT_EQ(across.iova, 0x30000000u);
    expect_refused(ENOSPC, [&] { return m_.map_anywhere(a, 0x1000, true).status; });
    ASSERT_TRUE(m_.allow_iovas(a, {{0x40000800, 0x40002fff}}).ok());
    const auto aligned = m_.map_anywhere(a, 0x1000, true);
    EXPECT_EQ(aligned.iova, 0x40001000u);
    EXPECT_EQ(m_.map_anywhere(a, 0x2000, true).status.code, ENOSPC);
    // An empty list allows everything again.
    ASSERT_TRUE(m_.allow_iovas(a, {}).ok());
    const auto anywhere = m_.map_anywhere(a, 0x1000, true);
    EXPECT_EQ(anywhere.iova, 0x1000u);
    EXPECT_TRUE(m_.reserve(a, 0x10800000, 4096).ok());
  });
}

// 4. IOMMU_HWPT_ALLOC's flags and data types.

TEST_F(IommufdCalls, HwptAllocFlagsAndDataTypesAreCheckedInIommufdsOrder) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, 0, 16 * kMiB, true).ok());
    const HwptAlloc s1{.data_type = uapi::kHwptDataVtdS1,
                       .data_len = uapi::kHwptVtdS1Size,
                       .stage1 = {.root_gpa = 8 * kMiB}};
    auto refused = [&](int code, const std::string& label, IoasId pt, const HwptAlloc& args) {
      expect_refused_alloc(code, [&] { return m_.alloc_hwpt(ctx, label, pt, args); });
    };
    // iommufd_hwpt_alloc: data and type together, before the device.
    refused(EINVAL, "nobody", a, HwptAlloc{.data_len = 4});
    refused(EINVAL, "nobody", a, HwptAlloc{.data_type = uapi::kHwptDataVtdS1});
    refused(ENOENT, "nobody", a, HwptAlloc{});
    refused(EINVAL, "disk", 999, HwptAlloc{});
    // iommufd_hwpt_paging_alloc and intel_iommu_domain_alloc_paging_flags.
    refused(EOPNOTSUPP, "disk", a, HwptAlloc{.flags = 1u << 4});
    refused(EOPNOTSUPP, "disk", a,
            HwptAlloc{.flags = uapi::kHwptFaultIdValid | uapi::kHwptAllocNestParent});
    refused(EOPNOTSUPP, "disk", a, s1);  // VT-d paging domains take no data
    refused(ENOENT, "disk", a, HwptAlloc{.flags = uapi::kHwptFaultIdValid});  // no FAULT object
    const HwptId paging = new_hwpt(ctx, "disk", a, HwptAlloc{.flags = uapi::kHwptAllocPasid});
    const HwptId parent = new_hwpt(ctx, "disk", a, HwptAlloc{.flags = uapi::kHwptAllocNestParent});

    // iommufd_hwpt_nested_alloc, then intel_iommu_domain_alloc_nested.
    refused(EOPNOTSUPP, "disk", paging, HwptAlloc{.flags = uapi::kHwptAllocNestParent});
    refused(EOPNOTSUPP, "disk", parent, HwptAlloc{});  // no data
    refused(EINVAL, "disk", paging, s1);               // not a nest parent
    refused(EOPNOTSUPP, "disk", parent,
            HwptAlloc{.data_type = uapi::kHwptDataArmSmmuv3, .data_len = 16});
    refused(EOPNOTSUPP, "disk", parent, HwptAlloc{.data_type = 7, .data_len = 24});
    refused(EINVAL, "disk", parent,
            HwptAlloc{.data_type = uapi::kHwptDataVtdS1, .data_len = 16, .stage1 = s1.stage1});
    HwptAlloc fault = s1;
    fault.flags = uapi::kHwptFaultIdValid;
    refused(ENOENT, "disk", parent, fault);
    HwptAlloc longer = s1;
    longer.data_len = 32;  // copy_struct_from_user: a zero tail is fine
    longer.flags = uapi::kHwptAllocPasid;
    const HwptId nested = new_hwpt(ctx, "disk", parent, longer);
    refused(EINVAL, "disk", nested, s1);  // nested on nested: not IOAS nor paging
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, nested).ok());
    EXPECT_EQ(m_.destroy_hwpt(parent).code, EBUSY);
  });
}

TEST_F(IommufdCalls, DirtyTrackingGivesASecondLevelHwptForRidPasidOnly) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    // The model's IOMMU has ECAP.SLADS: Linux's slads_supported.
    const HwptId dirty =
        new_hwpt(ctx, "disk", a, HwptAlloc{.flags = uapi::kHwptAllocDirtyTracking});
    const HwptId parent =
        new_hwpt(ctx, "vf0", a,
                 HwptAlloc{.flags = uapi::kHwptAllocDirtyTracking | uapi::kHwptAllocNestParent});
    const HwptId nested = new_hwpt(ctx, "vf0", parent,
                                   HwptAlloc{.data_type = uapi::kHwptDataVtdS1,
                                             .data_len = uapi::kHwptVtdS1Size,
                                             .stage1 = {.root_gpa = 0}});
    expect_refused(EINVAL, [&] { return m_.attach_device(ctx, "disk", 1, dirty); });
    expect_refused(EINVAL, [&] { return m_.attach_device(ctx, "vf0", 1, nested); });
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 0, dirty).ok());
    EXPECT_TRUE(tb_.probe("ssd").issue({.address = kMiB, .pasid_present = false}).ok);
    EXPECT_GT(counter("iommu.sl_psc.pd.lookups"), 0u);  // a second-level walk
  });
}

// 5. IOMMU_HWPT_INVALIDATE's array.

TEST_F(IommufdCalls, InvalidationEntriesAreHandledInOrderUntilTheFirstBadOne) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    Guest g = make_guest(m_, tb_.platform().host_bus(), ctx, "disk", 0);
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, g.nested).ok());
    const std::uint64_t page[3] = {0x100000, 0x101000, 0x102000};
    for (std::uint64_t p : page) ASSERT_TRUE(dma("ssd", p));
    // The guest clears its PTEs; the IOTLB keeps the translations until
    // the guest invalidates.
    for (std::uint64_t p : page) g.table->unmap(p);
    for (std::uint64_t p : page) ASSERT_TRUE(dma("ssd", p));

    std::uint32_t processed = 99;
    auto invalidate = [&](HwptId h, const HwptInvalidation& r) {
      return m_.invalidate_hwpt(ctx, h, r, processed);
    };
    // Before the loop: nothing processed, nothing changed.
    const auto refused = [&](int code, HwptId h, const HwptInvalidation& r) {
      processed = 99;
      expect_refused(code, [&] { return invalidate(h, r); });
      EXPECT_EQ(processed, 0u);
    };
    const HwptInvalidation one{.entries = {{.addr = page[0], .npages = 1}}};
    refused(EINVAL, g.memory, one);  // an IOAS
    refused(EINVAL, g.parent, one);  // a paging HWPT
    refused(ENOENT, 999, one);
    refused(EINVAL, g.nested, {.data_type = 1, .entries = {{.addr = page[0], .npages = 1}}});
    refused(EOPNOTSUPP, g.nested, {.entries = {{.addr = page[0], .npages = 1, .reserved = 1}}});
    refused(EINVAL, g.nested, {.entries = {{.addr = 0x4000}}});  // npages ~0 needs addr 0
    refused(ENOENT, g.nested, {.pasid = 7, .entries = {{.addr = page[0], .npages = 1}}});
    EXPECT_TRUE(invalidate(g.nested, {}).ok());
    EXPECT_EQ(processed, 0u);
    for (std::uint64_t p : page) EXPECT_TRUE(dma("ssd", p));

    // Entry 0 takes effect, entry 1 (unknown flag) stops the loop.
    Status s = invalidate(g.nested, {.entries = {{.addr = page[0], .npages = 1},
                                                 {.addr = page[1], .npages = 1, .flags = 1u << 1},
                                                 {.addr = page[2], .npages = 1}}});
    EXPECT_EQ(s.code, EOPNOTSUPP) << s.message;
    EXPECT_EQ(processed, 1u);
    EXPECT_FALSE(dma("ssd", page[0]));
    EXPECT_TRUE(dma("ssd", page[1]));
    EXPECT_TRUE(dma("ssd", page[2]));
    // An unaligned address stops it the same way, with EINVAL.
    s = invalidate(g.nested, {.entries = {{.addr = page[1], .npages = 1},
                                          {.addr = page[2] + 1, .npages = 1}}});
    EXPECT_EQ(s.code, EINVAL) << s.message;
    EXPECT_EQ(processed, 1u);
    EXPECT_FALSE(dma("ssd", page[1]));
    EXPECT_TRUE(dma("ssd", page[2]));
    // npages 0 stops the loop too (EINVAL, the simulator's: docs/errno.md),
    // before the leaf entry that follows it.
    const InvalidationEntry leaf{.addr = page[2], .npages = 1, .flags = uapi::kVtdInvFlagsLeaf};
    s = invalidate(
        g.nested, {.label = "disk", .pasid = 1, .entries = {{.addr = page[2], .npages = 0}, leaf}});
    EXPECT_EQ(s.code, EINVAL) << s.message;
    EXPECT_EQ(processed, 0u);
    EXPECT_TRUE(dma("ssd", page[2]));
    // The leaf entry alone is handled.
    s = invalidate(g.nested, {.label = "disk", .pasid = 1, .entries = {leaf}});
    EXPECT_TRUE(s.ok()) << s.message;
    EXPECT_EQ(processed, 1u);
    EXPECT_FALSE(dma("ssd", page[2]));
    // Another context does not find the HWPT.
    const ContextId other = m_.open_context();
    expect_refused(ENOENT, [&] { return m_.invalidate_hwpt(other, g.nested, one, processed); });
  });
}

// 6. The automatic HWPT of an attachment to an IOAS.

TEST_F(IommufdCalls, AnAttachmentToAnIoasUsesAnAutomaticHwptThatLivesWhileAttached) {
  tb_.run([&] {
    const ContextId ctx = open_all();
    const IoasId a = new_ioas();
    const IoasId b = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.map(b, 4 * kMiB, kMiB, true).ok());
    HwptId auto_a = 0;
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, a, &auto_a).ok());
    EXPECT_NE(auto_a, 0u);
    EXPECT_NE(auto_a, a);
    EXPECT_NE(auto_a, b);
    EXPECT_EQ(m_.domain_id(auto_a), m_.domain_id(a));  // the IOAS's own domain
    EXPECT_EQ(m_.page_table_root(auto_a), m_.page_table_root(a));
    // Naming it attaches as naming the IOAS does.
    HwptId pt = 0;
    ASSERT_TRUE(m_.attach_device(ctx, "vf0", 1, auto_a, &pt).ok());
    EXPECT_EQ(pt, auto_a);
    EXPECT_TRUE(dma("nic.0", kMiB));
    // It cannot be destroyed, nested on or invalidated by the user.
    expect_refused(EBUSY, [&] { return m_.destroy_hwpt(auto_a); });
    expect_refused_alloc(
        EINVAL, [&] { return m_.alloc_nested_hwpt(ctx, "disk", auto_a, {.root_gpa = 0}); });
    expect_refused(EINVAL, [&] { return m_.invalidate_hwpt(ctx, auto_a, {}); });
    // It outlives one detach...
    ASSERT_TRUE(m_.detach_device(ctx, "disk", 1).ok());
    expect_refused(EBUSY, [&] { return m_.destroy_hwpt(auto_a); });
    // ...not the last attachment: replacing away destroys it.
    HwptId auto_b = 0;
    ASSERT_TRUE(m_.replace_device(ctx, "vf0", 1, b, &auto_b).ok());
    EXPECT_NE(auto_b, auto_a);
    EXPECT_TRUE(dma("nic.0", 4 * kMiB));
    EXPECT_FALSE(dma("nic.0", kMiB));
    expect_refused(ENOENT, [&] { return m_.destroy_hwpt(auto_a); });
    expect_refused(ENOENT, [&] { return m_.attach_device(ctx, "disk", 1, auto_a); });
    // A replace to the same IOAS by its automatic HWPT changes nothing.
    ASSERT_TRUE(m_.replace_device(ctx, "vf0", 1, auto_b, &pt).ok());
    EXPECT_EQ(pt, auto_b);
    // Back to a: a new automatic HWPT; to a HWPT named: that HWPT.
    ASSERT_TRUE(m_.replace_device(ctx, "vf0", 1, a, &pt).ok());
    EXPECT_NE(pt, auto_a);
    expect_refused(ENOENT, [&] { return m_.destroy_hwpt(auto_b); });
    const HwptId paging = new_hwpt(ctx, "disk", b, HwptAlloc{});
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 1, paging, &pt).ok());
    EXPECT_EQ(pt, paging);
    EXPECT_TRUE(dma("ssd", 4 * kMiB));
    // Closing the context detaches: the automatic HWPT goes too.
    HwptId auto_again = 0;
    ASSERT_TRUE(m_.attach_device(ctx, "disk", 2, a, &auto_again).ok());
    ASSERT_TRUE(m_.close_context(ctx).ok());
    expect_refused(ENOENT, [&] { return m_.destroy_hwpt(auto_again); });
    EXPECT_TRUE(m_.destroy_ioas(a).ok());
  });
}

}  // namespace
}  // namespace iommu_sim::test
