// docs/errno.md, checked: one test per row, each setting up the row's
// condition on a real platform and asserting the errno the row gives and
// that the call changed nothing (not a byte of simulated memory, no
// invalidation, and whatever the call would have made or removed; an
// invalidation array keeps what its entries before the bad one did). The
// last test keeps the table and these tests in step.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace uapi = iommufd;

constexpr std::uint64_t kMax = ~0ull;  // 2^64 - 1, ULONG_MAX on a 64-bit host
constexpr IoasId kNothing = 4242;      // an ID no object has

// Two functions behind a PCI-to-PCI bridge: one requester ID (the
// bridge's), one IOMMU group.
PlatformConfig alias_config() {
  PlatformConfig c = default_config_without_workloads();
  c.pcie.ports = {{.name = "rp0"}, {.name = "br", .kind = "pci_bridge", .parent = "rp0"}};
  c.pcie.endpoints = {{.name = "a", .kind = "pci", .parent = "br"},
                      {.name = "b", .kind = "pci", .parent = "br"}};
  c.attach.clear();
  return c;
}

class ErrnoTable : public ::testing::Test {
 protected:
  // Runs `body` in a SystemC thread on the two-group platform (nic.0 and
  // nic.1 one group, ssd another) with a context ctx_ that binds them as
  // "vf0", "vf1" and "disk".
  void run(const std::function<void()>& body) {
    run_on(two_groups_config_without_attachments(), [&] {
      ctx_ = m().open_context();
      ASSERT_TRUE(m().bind(ctx_, "nic.0", "vf0").ok());
      ASSERT_TRUE(m().bind(ctx_, "nic.1", "vf1").ok());
      ASSERT_TRUE(m().bind(ctx_, "ssd", "disk").ok());
      body();
    });
  }
  // The same on `config`, nothing bound.
  void run_on(PlatformConfig config, const std::function<void()>& body) {
    tb_ = std::make_unique<TestBench>(std::move(config));
    tb_->run(body);
  }
  IoasidManager& m() { return tb_->platform().manager(); }

  // `call` must return `code` (0: succeed, finding nothing to do) and
  // leave simulated memory and the invalidation queue as they were.
  Status expect_errno(int code, const std::function<Status()>& call) {
    Platform& p = tb_->platform();
    const std::uint64_t memory = p.memory().store().digest();
    const std::uint64_t descriptors = p.stats().counter_value("iommu.qi.descriptors");
    Status s = call();
    EXPECT_EQ(s.code, code) << s.message;
    EXPECT_EQ(s.message.empty(), code == 0) << s.message;
    EXPECT_EQ(p.memory().store().digest(), memory) << "the call wrote memory";
    EXPECT_EQ(p.stats().counter_value("iommu.qi.descriptors"), descriptors)
        << "the call invalidated";
    return s;
  }
  static void expect_names(const Status& s, const std::string& what) {
    EXPECT_NE(s.message.find(what), std::string::npos) << s.message;
  }

  // Every IOAS this file makes comes from create_ioas(), and every call on
  // one goes through these, so that a change to their arguments changes
  // them alone.
  IoasCreated create_ioas(const IoasOptions& o = {}) { return m().create_ioas(o); }
  IoasId ioas(const IoasOptions& o = {}) {
    const IoasCreated c = create_ioas(o);
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    return c.id;
  }
  Status map(IoasId a, std::uint64_t iova, std::uint64_t length) {
    return m().map(a, iova, length, true);
  }
  IoasidManager::Mapped map_anywhere(IoasId a, std::uint64_t length) {
    return m().map_anywhere(a, length, true);
  }
  Status copy(IoasId dst, std::uint64_t dst_iova, IoasId src, std::uint64_t src_iova,
              std::uint64_t length) {
    return m().copy(dst, dst_iova, src, src_iova, length);
  }
  Status unmap(IoasId a, std::uint64_t iova, std::uint64_t length,
               std::uint64_t* unmapped = nullptr) {
    return m().unmap(a, iova, length, unmapped);
  }
  Status reserve(IoasId a, std::uint64_t iova, std::uint64_t length) {
    return m().reserve(a, iova, length);
  }
  IoasidManager::Mapped map_user(IoasId a, std::uint32_t flags, std::uint64_t iova,
                                 std::uint64_t length) {
    return m().map_user(a, flags, iova, length);
  }
  Status allow_iovas(IoasId a, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) {
    return m().allow_iovas(a, ranges);
  }
  Status destroy_ioas(IoasId a) { return m().destroy_ioas(a); }

  // A second-level IOAS whose 4 KiB of guest memory a nested IOAS's root
  // table fills: neither can grow.
  struct Guest {
    IoasId memory = 0, nested = 0;
  };
  Guest full_guest() {
    Guest g;
    g.memory = ioas({.translation = IoasTranslation::SecondLevel});
    EXPECT_TRUE(map(g.memory, 0, 4096).ok());
    g.nested = ioas({.translation = IoasTranslation::Nested, .parent = g.memory});
    return g;
  }
  // A nest-parent HWPT on a fresh IOAS and a nested HWPT on it, for disk.
  struct Nested {
    IoasId memory = 0;
    HwptId parent = 0, nested = 0;
  };
  Nested nested_hwpt() {
    Nested n;
    n.memory = ioas();
    n.parent = m().alloc_hwpt(ctx_, "disk", n.memory, true).id;
    const IoasCreated c = m().alloc_nested_hwpt(ctx_, "disk", n.parent, {.root_gpa = 0});
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    n.nested = c.id;
    return n;
  }
  // Two contexts on the two-group platform: `mine` binds the ssd as
  // "disk", `theirs` the nic's functions as "vf0" and "vf1" and owns an
  // IOAS mapping 8 MiB at 8 MiB, a nest-parent HWPT on it and a nested
  // HWPT on that, attached as (vf0, PASID 1).
  struct TwoContexts {
    ContextId mine = 0, theirs = 0;
    IoasId ioas = 0;
    HwptId parent = 0, nested = 0;
  };
  TwoContexts two_contexts() {
    TwoContexts t;
    t.mine = m().open_context();
    t.theirs = m().open_context();
    EXPECT_TRUE(m().bind(t.mine, "ssd", "disk").ok());
    EXPECT_TRUE(m().bind(t.theirs, "nic.0", "vf0").ok());
    EXPECT_TRUE(m().bind(t.theirs, "nic.1", "vf1").ok());
    t.ioas = ioas({.owner = t.theirs});
    EXPECT_TRUE(map(t.ioas, 8 * kMiB, 8 * kMiB).ok());
    t.parent = m().alloc_hwpt(t.theirs, "vf0", t.ioas, true).id;
    const IoasCreated c = m().alloc_nested_hwpt(t.theirs, "vf0", t.parent, {.root_gpa = 0});
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    t.nested = c.id;
    EXPECT_TRUE(m().attach_device(t.theirs, "vf0", 1, t.nested).ok());
    return t;
  }
  bool dma(const std::string& fn, std::uint64_t iova, std::uint32_t pasid = 1) {
    return tb_->probe(fn).issue({.address = iova, .pasid = pasid}).ok;
  }

  std::unique_ptr<TestBench> tb_;
  ContextId ctx_ = 0;
};

// create_ioas (IOMMU_IOAS_ALLOC)

TEST_F(ErrnoTable, CreateIoasPageSizeNoTableHasIsEinval) {
  run([&] {
    const Status s =
        expect_errno(EINVAL, [&] { return create_ioas({.max_page_shift = 13}).status; });
    expect_names(s, "2^13");
  });
}

TEST_F(ErrnoTable, CreateIoasLevelsNoTableHasIsEinval) {
  run([&] {
    expect_errno(EINVAL, [&] { return create_ioas({.levels = 3}).status; });
    expect_errno(EINVAL, [&] {
      return create_ioas({.translation = IoasTranslation::SecondLevel, .levels = 6}).status;
    });
  });
}

TEST_F(ErrnoTable, CreateIoasLevelsTheIommuLacksAreEnodev) {
  run([&] {  // address width 48: neither 5-level format
    expect_names(expect_errno(ENODEV, [&] { return create_ioas({.levels = 5}).status; }),
                 "CAP.FL5LP");
    expect_names(
        expect_errno(
            ENODEV,
            [&] {
              return create_ioas({.translation = IoasTranslation::SecondLevel, .levels = 5}).status;
            }),
        "CAP.SAGAW");
  });
}

TEST_F(ErrnoTable, CreateIoasWithoutADomainIdIsEnospc) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.iommu.domain_id_bits = 4;  // 15 domain IDs; as0 has one
  run_on(c, [&] {
    for (int i = 0; i < 14; ++i) ioas();
    expect_errno(ENOSPC, [&] { return create_ioas().status; });
    EXPECT_EQ(m().allocate_domain_id(), std::nullopt);  // the refusal took none
  });
}

TEST_F(ErrnoTable, CreateNestedIoasOnANonSecondLevelParentIsEinval) {
  run([&] {
    const IoasId first_level = ioas();
    expect_errno(EINVAL, [&] {
      return create_ioas({.translation = IoasTranslation::Nested, .parent = kNothing}).status;
    });
    expect_names(expect_errno(EINVAL,
                              [&] {
                                return create_ioas({.translation = IoasTranslation::Nested,
                                                    .parent = first_level})
                                    .status;
                              }),
                 std::to_string(first_level));
  });
}

TEST_F(ErrnoTable, CreateNestedIoasOnAParentThatMapsNothingIsEnoent) {
  run([&] {
    const IoasId empty = ioas({.translation = IoasTranslation::SecondLevel});
    expect_errno(ENOENT, [&] {
      return create_ioas({.translation = IoasTranslation::Nested, .parent = empty}).status;
    });
    EXPECT_TRUE(destroy_ioas(empty).ok());  // no nested child was left on it
  });
}

TEST_F(ErrnoTable, CreateNestedIoasWithItsGuestMemoryUsedUpIsEnomem) {
  run([&] {
    const Guest g = full_guest();
    expect_errno(ENOMEM, [&] {
      return create_ioas({.translation = IoasTranslation::Nested, .parent = g.memory}).status;
    });
    ASSERT_TRUE(destroy_ioas(g.nested).ok());
    EXPECT_TRUE(destroy_ioas(g.memory).ok());  // the refused one is no child of it
  });
}

TEST_F(ErrnoTable, CreateIoasOwnedByAContextNotOpenIsEbadf) {
  run([&] {
    const ContextId closed = m().open_context();
    ASSERT_TRUE(m().close_context(closed).ok());
    const IoasId before = ioas();
    expect_names(expect_errno(EBADF, [&] { return create_ioas({.owner = closed}).status; }),
                 "no context " + std::to_string(closed));
    expect_errno(EBADF, [&] { return create_ioas({.owner = 999}).status; });
    // Checked first, as a closed file descriptor is: before the format.
    expect_errno(EBADF,
                 [&] { return create_ioas({.max_page_shift = 13, .owner = closed}).status; });
    EXPECT_EQ(ioas(), before + 1);  // the refusals took no ID
  });
}

TEST_F(ErrnoTable, CreateNestedIoasOnAnotherContextsParentIsEinval) {
  run([&] {
    const ContextId other = m().open_context();
    const IoasId theirs = ioas({.translation = IoasTranslation::SecondLevel, .owner = other});
    ASSERT_TRUE(map(theirs, 0, kMiB).ok());
    expect_names(expect_errno(EINVAL,
                              [&] {
                                return create_ioas({.translation = IoasTranslation::Nested,
                                                    .parent = theirs,
                                                    .owner = ctx_})
                                    .status;
                              }),
                 std::to_string(theirs));
    // The platform's objects do not reach into a context's either.
    expect_errno(EINVAL, [&] {
      return create_ioas({.translation = IoasTranslation::Nested, .parent = theirs}).status;
    });
    EXPECT_TRUE(destroy_ioas(theirs).ok());  // no nested child was left on it
  });
}

// map (IOMMU_IOAS_MAP with IOMMU_IOAS_MAP_FIXED_IOVA)

TEST_F(ErrnoTable, MapIovaOrLengthOfUlongMaxIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(EOVERFLOW, [&] { return map(a, kMax, 4096); }), "iova");
    expect_names(expect_errno(EOVERFLOW, [&] { return map(a, kMiB, kMax); }), "length");
    // Checked before the IOAS is looked up, as iommufd_ioas_map does.
    expect_errno(EOVERFLOW, [&] { return map(kNothing, kMax, 4096); });
  });
}

TEST_F(ErrnoTable, MapOnAnIdThatIsNoIoasIsEnoent) {
  run([&] {
    const HwptId hwpt = m().alloc_hwpt(ctx_, "disk", ioas()).id;
    expect_names(expect_errno(ENOENT, [&] { return map(kNothing, kMiB, 4096); }),
                 std::to_string(kNothing));
    expect_errno(ENOENT, [&] { return map(hwpt, kMiB, 4096); });  // iommufd_get_ioas
  });
}

TEST_F(ErrnoTable, MapZeroOrUnalignedLengthOrIovaIsEinval) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EINVAL, [&] { return map(a, kMiB, 0); });
    expect_errno(EINVAL, [&] { return map(a, kMiB, 4097); });
    expect_names(expect_errno(EINVAL, [&] { return map(a, kMiB + 1, 4096); }), "0x100001");
    EXPECT_FALSE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, MapPastTwoToTheSixtyFourIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EOVERFLOW, [&] { return map(a, kMax - 4095, 8192); });
  });
}

TEST_F(ErrnoTable, MapBeyondTheTableIsEinval) {
  run([&] {
    const IoasId a = ioas();  // first-level, 4 levels: the lower half, 2^47
    expect_names(expect_errno(EINVAL, [&] { return map(a, (1ull << 47) - 4096, 8192); }),
                 "beyond the IOVA space");
    EXPECT_FALSE(m().physical(a, (1ull << 47) - 4096).has_value());
  });
}

TEST_F(ErrnoTable, MapOverAReservedRangeIsEinval) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(EINVAL, [&] { return map(a, 0xFEE00000, 4096); }),
                 "reserved range 0xfee00000");
    ASSERT_TRUE(reserve(a, 16 * kMiB, kMiB).ok());
    expect_errno(EINVAL, [&] { return map(a, 16 * kMiB + 4096, 4096); });
    // Over a reserved range and a mapping both: the reserved range decides.
    ASSERT_TRUE(map(a, 15 * kMiB, kMiB).ok());
    expect_errno(EINVAL, [&] { return map(a, 15 * kMiB, 2 * kMiB); });
    EXPECT_FALSE(m().physical(a, 16 * kMiB + 4096).has_value());
  });
}

TEST_F(ErrnoTable, MapOverAMappingIsEexist) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, 2 * kMiB, kMiB).ok());
    const auto before = m().physical(a, 2 * kMiB);
    expect_names(expect_errno(EEXIST, [&] { return map(a, kMiB, 2 * kMiB); }), "0x200000");
    expect_errno(EEXIST, [&] { return map(a, 3 * kMiB - 4096, kMiB); });
    EXPECT_EQ(m().physical(a, 2 * kMiB), before);
    EXPECT_FALSE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, MapOverALazilyUnmappedRangeIsEbusy) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.host.unmap = "lazy";
  run_on(c, [&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(unmap(a, kMiB, kMiB).ok());  // queued, not flushed yet
    expect_names(expect_errno(EBUSY, [&] { return map(a, kMiB, 4096); }), "awaits its flush");
    EXPECT_FALSE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, MapBeyondANestedIoasGuestMemoryIsEnomem) {
  run([&] {
    const Guest g = full_guest();
    expect_errno(ENOMEM, [&] { return map(g.nested, kMiB, 4096); });
    EXPECT_FALSE(m().physical(g.nested, kMiB).has_value());
  });
}

// map_anywhere (IOMMU_IOAS_MAP without IOMMU_IOAS_MAP_FIXED_IOVA)

TEST_F(ErrnoTable, MapAnywhereLengthOfUlongMaxIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(EOVERFLOW, [&] { return map_anywhere(a, kMax).status; }), "length");
  });
}

TEST_F(ErrnoTable, MapAnywhereOnAnIdThatIsNoIoasIsEnoent) {
  run([&] { expect_errno(ENOENT, [&] { return map_anywhere(kNothing, 4096).status; }); });
}

TEST_F(ErrnoTable, MapAnywhereZeroOrUnalignedLengthIsEinval) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EINVAL, [&] { return map_anywhere(a, 0).status; });
    expect_names(expect_errno(EINVAL, [&] { return map_anywhere(a, 4097).status; }), "0x1001");
  });
}

TEST_F(ErrnoTable, MapAnywhereWithNoRoomIsEnospc) {
  run([&] {
    const IoasId a = ioas();  // 2^47 of IOVA, less page 0 and the MSI window
    expect_errno(ENOSPC, [&] { return map_anywhere(a, 1ull << 47).status; });
  });
}

TEST_F(ErrnoTable, MapAnywhereBeyondANestedIoasGuestMemoryIsEnomem) {
  run([&] {
    const Guest g = full_guest();
    expect_errno(ENOMEM, [&] { return map_anywhere(g.nested, 4096).status; });
  });
}

TEST_F(ErrnoTable, MapAnywhereOfTwoToTheSixtyThreeOrMoreIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(EOVERFLOW, [&] { return map_anywhere(a, 1ull << 63).status; }),
                 "2^63");
    expect_errno(EOVERFLOW, [&] { return map_anywhere(a, kMax - 4095).status; });
    EXPECT_FALSE(m().physical(a, 4096).has_value());
  });
}

TEST_F(ErrnoTable, MapAnywhereWithNoRoomInTheAllowedRangesIsEnospc) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(allow_iovas(a, {{16 * kMiB, 17 * kMiB - 1}}).ok());
    // Room enough outside the list, none inside it.
    expect_errno(ENOSPC, [&] { return map_anywhere(a, 2 * kMiB).status; });
    EXPECT_FALSE(m().physical(a, 4096).has_value());
    EXPECT_EQ(map_anywhere(a, kMiB).iova, 16 * kMiB);
  });
}

// map_user (IOMMU_IOAS_MAP with its flags)

TEST_F(ErrnoTable, MapUserWithAnUnknownFlagIsEopnotsupp) {
  run([&] {
    const IoasId a = ioas();
    const std::uint32_t fixed_rw =
        uapi::kIoasMapFixedIova | uapi::kIoasMapReadable | uapi::kIoasMapWriteable;
    expect_names(expect_errno(EOPNOTSUPP,
                              [&] { return map_user(a, fixed_rw | 1u << 3, kMiB, 4096).status; }),
                 "flags 0x8");
    // Before 2^64 - 1 and before the IOAS is looked up.
    expect_errno(EOPNOTSUPP,
                 [&] { return map_user(kNothing, fixed_rw | 1u << 3, kMax, 4096).status; });
    EXPECT_FALSE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, MapUserWithoutReadableOrWriteableIsEinval) {
  run([&] {
    const IoasId a = ioas();
    expect_names(
        expect_errno(EINVAL,
                     [&] { return map_user(a, uapi::kIoasMapFixedIova, kMiB, 4096).status; }),
        "READABLE");
    // Before the IOAS is looked up.
    expect_errno(EINVAL, [&] { return map_user(kNothing, 0, kMiB, 4096).status; });
    EXPECT_FALSE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, MapUserAnywhereWithAnIovaOfUlongMaxIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    // Without FIXED_IOVA the iova is ignored, but not its 2^64 - 1.
    expect_names(
        expect_errno(EOVERFLOW,
                     [&] { return map_user(a, uapi::kIoasMapReadable, kMax, 4096).status; }),
        "iova");
    EXPECT_FALSE(m().physical(a, 4096).has_value());
  });
}

// copy (IOMMU_IOAS_COPY)

TEST_F(ErrnoTable, CopyArgumentOfUlongMaxIsEoverflow) {
  run([&] {
    const IoasId src = ioas(), dst = ioas();
    ASSERT_TRUE(map(src, kMiB, kMiB).ok());
    expect_names(expect_errno(EOVERFLOW, [&] { return copy(dst, 8 * kMiB, src, kMiB, kMax); }),
                 "length");
    expect_names(expect_errno(EOVERFLOW, [&] { return copy(dst, 8 * kMiB, src, kMax, 4096); }),
                 "src_iova");
    expect_names(expect_errno(EOVERFLOW, [&] { return copy(dst, kMax, src, kMiB, 4096); }),
                 "dst_iova");
  });
}

TEST_F(ErrnoTable, CopyFromOrToAnIdThatIsNoIoasIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    expect_errno(ENOENT, [&] { return copy(a, 8 * kMiB, kNothing, kMiB, 4096); });
    expect_errno(ENOENT, [&] { return copy(kNothing, 8 * kMiB, a, kMiB, 4096); });
    EXPECT_FALSE(m().physical(a, 8 * kMiB).has_value());
  });
}

TEST_F(ErrnoTable, CopyOfAnEmptySourceIsEinval) {
  run([&] {
    const IoasId src = ioas(), dst = ioas();
    ASSERT_TRUE(map(src, kMiB, kMiB).ok());
    expect_errno(EINVAL, [&] { return copy(dst, 8 * kMiB, src, kMiB, 0); });
  });
}

TEST_F(ErrnoTable, CopyOfASourcePastTwoToTheSixtyFourIsEoverflow) {
  run([&] {
    const IoasId src = ioas(), dst = ioas();
    // The source is checked first: the destination would be EEXIST.
    ASSERT_TRUE(map(dst, 8 * kMiB, kMiB).ok());
    expect_errno(EOVERFLOW, [&] { return copy(dst, 8 * kMiB, src, kMax - 4095, 8192); });
  });
}

TEST_F(ErrnoTable, CopyOfASourceWithAHoleIsEnoent) {
  run([&] {
    const IoasId src = ioas(), dst = ioas();
    ASSERT_TRUE(map(src, kMiB, kMiB).ok());
    expect_names(expect_errno(ENOENT, [&] { return copy(dst, 8 * kMiB, src, kMiB, 2 * kMiB); }),
                 "0x200000");
    EXPECT_FALSE(m().physical(dst, 8 * kMiB).has_value());
  });
}

TEST_F(ErrnoTable, CopyWithANestedIoasIsEinval) {
  run([&] {
    const Guest g = full_guest();
    const IoasId host = ioas();
    ASSERT_TRUE(map(host, kMiB, kMiB).ok());
    expect_names(expect_errno(EINVAL, [&] { return copy(g.nested, 8 * kMiB, host, kMiB, 4096); }),
                 std::to_string(g.nested));
    expect_errno(EINVAL, [&] { return copy(host, 8 * kMiB, g.nested, kMiB, 4096); });
  });
}

TEST_F(ErrnoTable, CopyToADestinationMapRefusesIsRefusedAsMapIs) {
  run([&] {
    const IoasId src = ioas(), dst = ioas();
    ASSERT_TRUE(map(src, kMiB, kMiB).ok());
    ASSERT_TRUE(map(dst, 8 * kMiB, kMiB).ok());
    const auto before = m().physical(dst, 8 * kMiB);
    expect_errno(EEXIST, [&] { return copy(dst, 8 * kMiB, src, kMiB, 4096); });
    expect_errno(EINVAL, [&] { return copy(dst, 0xFEE00000, src, kMiB, 4096); });
    expect_errno(EINVAL, [&] { return copy(dst, 4 * kMiB, src, kMiB, 4097); });
    EXPECT_EQ(m().physical(dst, 8 * kMiB), before);
  });
}

TEST_F(ErrnoTable, CopyFromAnUnalignedSourceIsEinval) {
  run([&] {
    const IoasId src = ioas(), dst = ioas();
    ASSERT_TRUE(map(src, kMiB, kMiB).ok());
    expect_names(expect_errno(EINVAL, [&] { return copy(dst, 8 * kMiB, src, kMiB + 0x800, 4096); }),
                 "0x100800");
    EXPECT_FALSE(m().physical(dst, 8 * kMiB).has_value());
  });
}

// unmap (IOMMU_IOAS_UNMAP)

TEST_F(ErrnoTable, UnmapOnAnIdThatIsNoIoasIsEnoent) {
  run([&] { expect_errno(ENOENT, [&] { return unmap(kNothing, kMiB, kMiB); }); });
}

TEST_F(ErrnoTable, UnmapIovaOrLengthOfUlongMaxIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    expect_names(expect_errno(EOVERFLOW, [&] { return unmap(a, kMax, 4096); }), "iova");
    expect_names(expect_errno(EOVERFLOW, [&] { return unmap(a, kMiB, kMax); }), "length");
    EXPECT_TRUE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, UnmapOfLengthZeroIsEinval) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    expect_errno(EINVAL, [&] { return unmap(a, kMiB, 0); });
    EXPECT_TRUE(m().physical(a, kMiB).has_value());
  });
}

TEST_F(ErrnoTable, UnmapPastTwoToTheSixtyFourIsEoverflow) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EOVERFLOW, [&] { return unmap(a, kMax - 4095, 8192); });
    // Ending at 2^64 exactly is a range like any other, here with nothing.
    expect_errno(ENOENT, [&] { return unmap(a, kMax - 4095, 4096); });
  });
}

TEST_F(ErrnoTable, UnmapCuttingAMappingIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    expect_names(expect_errno(ENOENT, [&] { return unmap(a, kMiB, 4096); }), "cuts");
    expect_errno(ENOENT, [&] { return unmap(a, kMiB + 4096, 2 * kMiB); });
    EXPECT_TRUE(dma("ssd", kMiB + 0x80000));
  });
}

TEST_F(ErrnoTable, UnmapOfNothingMappedIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    expect_errno(ENOENT, [&] { return unmap(a, 8 * kMiB, kMiB); });
  });
}

TEST_F(ErrnoTable, UnmapOfEverythingOnAnEmptyIoasSucceeds) {
  run([&] {
    const IoasId a = ioas();
    std::uint64_t unmapped = 1;
    expect_errno(0, [&] { return unmap(a, 0, kMax, &unmapped); });
    EXPECT_EQ(unmapped, 0u);
  });
}

TEST_F(ErrnoTable, UnmapOfANestedIoasGuestMemoryIsEbusy) {
  run([&] {
    const Guest g = full_guest();
    expect_names(expect_errno(EBUSY, [&] { return unmap(g.memory, 0, 4096); }), "guest memory");
    EXPECT_TRUE(m().physical(g.memory, 0).has_value());
  });
}

// reserve (no ioctl: iommufd reserves what devices and domains cannot use)

TEST_F(ErrnoTable, ReserveOnAnIdThatIsNoIoasIsEnoent) {
  run([&] { expect_errno(ENOENT, [&] { return reserve(kNothing, kMiB, kMiB); }); });
}

TEST_F(ErrnoTable, ReserveOfAnEmptyOrOverflowingRangeIsEinval) {
  run([&] {
    const IoasId a = ioas();
    const auto ranges = m().iova_ranges(a);
    expect_errno(EINVAL, [&] { return reserve(a, kMiB, 0); });
    expect_errno(EINVAL, [&] { return reserve(a, kMax - 4095, 8192); });
    EXPECT_EQ(m().iova_ranges(a), ranges);
  });
}

TEST_F(ErrnoTable, ReserveOverAMappingIsEaddrinuse) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    const auto ranges = m().iova_ranges(a);
    expect_names(expect_errno(EADDRINUSE, [&] { return reserve(a, kMiB + kMiB / 2, kMiB); }),
                 "0x100000");
    EXPECT_EQ(m().iova_ranges(a), ranges);
  });
}

TEST_F(ErrnoTable, ReserveOverAnAllowedRangeIsEaddrinuse) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(allow_iovas(a, {{16 * kMiB, 17 * kMiB - 1}}).ok());
    const auto ranges = m().iova_ranges(a);
    expect_names(expect_errno(EADDRINUSE, [&] { return reserve(a, 16 * kMiB + kMiB / 2, kMiB); }),
                 "allowed range 0x1000000");
    EXPECT_EQ(m().iova_ranges(a), ranges);
  });
}

// allow_iovas (IOMMU_IOAS_ALLOW_IOVAS)

TEST_F(ErrnoTable, AllowIovasOnAnIdThatIsNoIoasIsEnoent) {
  run([&] {
    const HwptId hwpt = m().alloc_hwpt(ctx_, "disk", ioas()).id;
    expect_names(expect_errno(ENOENT, [&] { return allow_iovas(kNothing, {}); }),
                 std::to_string(kNothing));
    expect_errno(ENOENT, [&] { return allow_iovas(hwpt, {{kMiB, 2 * kMiB - 1}}); });
  });
}

TEST_F(ErrnoTable, AllowIovasOfAnEmptyOrOverlappingRangeIsEinval) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(allow_iovas(a, {{16 * kMiB, 17 * kMiB - 1}}).ok());
    expect_errno(EINVAL, [&] { return allow_iovas(a, {{kMiB, kMiB}}); });  // start == last
    expect_names(expect_errno(EINVAL,
                              [&] {
                                return allow_iovas(a, {{2 * kMiB, kMiB}});
                              }),
                 "start must be below last");
    expect_names(
        expect_errno(EINVAL,
                     [&] {
                       return allow_iovas(a, {{kMiB, 2 * kMiB - 1}, {kMiB + 4096, 3 * kMiB - 1}});
                     }),
        "overlaps");
    // The old list stays: automatic IOVAs still come from it.
    EXPECT_EQ(map_anywhere(a, 4096).iova, 16 * kMiB);
  });
}

TEST_F(ErrnoTable, AllowIovasOverAReservedRangeIsEaddrinuse) {
  run([&] {
    const IoasId a = ioas();  // first-level, 4 levels: the lower half, 2^47
    ASSERT_TRUE(reserve(a, 32 * kMiB, kMiB).ok());
    ASSERT_TRUE(allow_iovas(a, {{16 * kMiB, 17 * kMiB - 1}}).ok());
    expect_names(expect_errno(EADDRINUSE,
                              [&] {
                                return allow_iovas(a, {{0xFEE00000, 0xFEE00FFF}});
                              }),
                 "reserved range 0xfee00000");
    expect_errno(EADDRINUSE, [&] {
      return allow_iovas(a, {{32 * kMiB + 4096, 33 * kMiB + 4095}});
    });
    expect_names(expect_errno(EADDRINUSE,
                              [&] {
                                return allow_iovas(a, {{(1ull << 47) - 4096, 1ull << 47}});
                              }),
                 "beyond the IOVA space");
    EXPECT_EQ(map_anywhere(a, 4096).iova, 16 * kMiB);
  });
}

// destroy_ioas (IOMMU_DESTROY)

TEST_F(ErrnoTable, DestroyIoasOnAnIdThatIsNoIoasIsEnoent) {
  run([&] { expect_errno(ENOENT, [&] { return destroy_ioas(kNothing); }); });
}

TEST_F(ErrnoTable, DestroyIoasWithAnAttachmentIsEbusy) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    expect_names(expect_errno(EBUSY, [&] { return destroy_ioas(a); }), "attachment");
    EXPECT_TRUE(dma("ssd", kMiB));
  });
}

TEST_F(ErrnoTable, DestroyIoasUnderANestedIoasIsEbusy) {
  run([&] {
    const Guest g = full_guest();
    expect_errno(EBUSY, [&] { return destroy_ioas(g.memory); });
    EXPECT_TRUE(destroy_ioas(g.nested).ok());
  });
}

TEST_F(ErrnoTable, DestroyIoasHoldingAHwptIsEbusy) {
  run([&] {
    const IoasId a = ioas();
    const HwptId h = m().alloc_hwpt(ctx_, "disk", a).id;
    expect_names(expect_errno(EBUSY, [&] { return destroy_ioas(a); }), std::to_string(h));
    EXPECT_TRUE(m().destroy_hwpt(h).ok());
  });
}

// close_context (close(2) of /dev/iommu)

TEST_F(ErrnoTable, CloseOfAContextNotOpenIsEbadf) {
  run([&] {
    const ContextId other = m().open_context();
    ASSERT_TRUE(m().close_context(other).ok());
    expect_errno(EBADF, [&] { return m().close_context(other); });
    expect_names(expect_errno(EBADF, [&] { return m().close_context(999); }), "999");
  });
}

// bind (VFIO_DEVICE_BIND_IOMMUFD)

TEST_F(ErrnoTable, BindInAContextNotOpenIsEbadf) {
  run_on(two_groups_config_without_attachments(), [&] {
    const ContextId closed = m().open_context();
    ASSERT_TRUE(m().close_context(closed).ok());
    expect_errno(EBADF, [&] { return m().bind(closed, "ssd", "disk"); });
    // Nothing was claimed: another context binds the device.
    EXPECT_TRUE(m().bind(m().open_context(), "ssd", "disk").ok());
  });
}

TEST_F(ErrnoTable, BindOfADeviceThatDoesNotExistIsEnoent) {
  run([&] {
    expect_names(expect_errno(ENOENT, [&] { return m().bind(ctx_, "gpu", "g"); }), "gpu");
  });
}

TEST_F(ErrnoTable, BindWithAnEmptyLabelIsEinval) {
  run_on(two_groups_config_without_attachments(), [&] {
    const ContextId ctx = m().open_context();
    expect_errno(EINVAL, [&] { return m().bind(ctx, "ssd", ""); });
    EXPECT_TRUE(m().bind(ctx, "ssd", "disk").ok());
  });
}

TEST_F(ErrnoTable, BindWithALabelInUseIsEexist) {
  run_on(two_groups_config_without_attachments(), [&] {
    const ContextId ctx = m().open_context();
    ASSERT_TRUE(m().bind(ctx, "ssd", "x").ok());
    expect_names(expect_errno(EEXIST, [&] { return m().bind(ctx, "nic.0", "x"); }), "\"x\"");
    EXPECT_TRUE(m().bind(ctx, "nic.0", "y").ok());  // nic.0 was not claimed
  });
}

TEST_F(ErrnoTable, BindOfADeviceBoundAlreadyIsEinval) {
  run([&] {
    expect_names(expect_errno(EINVAL, [&] { return m().bind(ctx_, "ssd", "again"); }),
                 "label \"disk\"");
    expect_errno(EINVAL, [&] { return m().bind(m().open_context(), "ssd", "disk"); });
  });
}

TEST_F(ErrnoTable, BindInAGroupAnotherContextOwnsIsEperm) {
  run_on(two_groups_config_without_attachments(), [&] {
    const ContextId owner = m().open_context();
    const ContextId other = m().open_context();
    ASSERT_TRUE(m().bind(owner, "nic.0", "vf0").ok());
    expect_names(expect_errno(EPERM, [&] { return m().bind(other, "nic.1", "vf1"); }),
                 "owned by context " + std::to_string(owner));
    EXPECT_TRUE(m().bind(owner, "nic.1", "vf1").ok());
  });
}

// attach_device (VFIO_DEVICE_ATTACH_IOMMUFD_PT, iommufd_device_attach)

TEST_F(ErrnoTable, AttachInAContextNotOpenIsEbadf) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EBADF, [&] { return m().attach_device(999, "disk", 1, a); });
    EXPECT_FALSE(dma("ssd", kMiB));
  });
}

TEST_F(ErrnoTable, AttachOfALabelNotBoundIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(ENOENT, [&] { return m().attach_device(ctx_, "nobody", 1, a); }),
                 "nobody");
  });
}

TEST_F(ErrnoTable, AttachToAnIdThatIsNothingIsEnoent) {
  run([&] {
    expect_names(expect_errno(ENOENT, [&] { return m().attach_device(ctx_, "disk", 1, kNothing); }),
                 std::to_string(kNothing));
  });
}

TEST_F(ErrnoTable, AttachWithTheGroupNotWhollyBoundIsEperm) {
  run_on(two_groups_config_without_attachments(), [&] {
    const ContextId ctx = m().open_context();
    ASSERT_TRUE(m().bind(ctx, "nic.0", "vf0").ok());
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    expect_names(expect_errno(EPERM, [&] { return m().attach_device(ctx, "vf0", 1, a); }), "nic.1");
    EXPECT_FALSE(dma("nic.0", kMiB));
  });
}

TEST_F(ErrnoTable, AttachOfAnAttachedDeviceAndPasidIsEbusy) {
  run([&] {
    const IoasId a = ioas(), b = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    expect_errno(EBUSY, [&] { return m().attach_device(ctx_, "disk", 1, a); });
    expect_errno(EBUSY, [&] { return m().attach_device(ctx_, "disk", 1, b); });
    EXPECT_TRUE(dma("ssd", kMiB));  // still on a
  });
}

TEST_F(ErrnoTable, AttachOfAnAliasAttachedElsewhereIsEinval) {
  run_on(alias_config(), [&] {
    const ContextId ctx = m().open_context();
    ASSERT_TRUE(m().bind(ctx, "a", "a").ok());
    ASSERT_TRUE(m().bind(ctx, "b", "b").ok());
    const IoasId x = ioas(), y = ioas();
    ASSERT_TRUE(map(x, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx, "a", 1, x).ok());
    expect_names(expect_errno(EINVAL, [&] { return m().attach_device(ctx, "b", 1, y); }),
                 "shares requester ID");
    EXPECT_TRUE(dma("a", kMiB));  // the requester ID still translates with x
  });
}

TEST_F(ErrnoTable, AttachOfAPasidBeyondTheDirectoryIsEinval) {
  run([&] {  // host.pasid_dir_size_bits 7: PASIDs below 2^20
    const IoasId a = ioas();
    expect_names(expect_errno(EINVAL, [&] { return m().attach_device(ctx_, "disk", 1u << 20, a); }),
                 "1048576");
    EXPECT_TRUE(destroy_ioas(a).ok());  // no attachment was recorded
  });
}

TEST_F(ErrnoTable, AttachToAnotherContextsObjectIsEnoent) {
  run_on(two_groups_config_without_attachments(), [&] {
    const TwoContexts t = two_contexts();
    expect_names(expect_errno(ENOENT, [&] { return m().attach_device(t.mine, "disk", 1, t.ioas); }),
                 std::to_string(t.ioas));
    expect_errno(ENOENT, [&] { return m().attach_device(t.mine, "disk", 1, t.parent); });
    expect_errno(ENOENT, [&] { return m().attach_device(t.mine, "disk", 1, t.nested); });
    EXPECT_FALSE(dma("ssd", 8 * kMiB));
    EXPECT_TRUE(m().attach_device(t.theirs, "vf1", 1, t.ioas).ok());  // its owner finds it
  });
}

TEST_F(ErrnoTable, AttachOfADirtyTrackingHwptAtAPasidOtherThanZeroIsEinval) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    const HwptId dirty =
        m().alloc_hwpt(ctx_, "disk", a, HwptAlloc{.flags = uapi::kHwptAllocDirtyTracking}).id;
    const HwptId parent = m().alloc_hwpt(ctx_, "disk", a,
                                         HwptAlloc{.flags = uapi::kHwptAllocDirtyTracking |
                                                            uapi::kHwptAllocNestParent})
                              .id;
    const HwptId nested = m().alloc_nested_hwpt(ctx_, "disk", parent, {.root_gpa = 0}).id;
    expect_names(expect_errno(EINVAL, [&] { return m().attach_device(ctx_, "disk", 1, dirty); }),
                 "RID_PASID");
    expect_errno(EINVAL, [&] { return m().attach_device(ctx_, "disk", 1, nested); });
    EXPECT_FALSE(dma("ssd", kMiB));
    EXPECT_TRUE(m().destroy_hwpt(dirty).ok());  // no attachment was recorded
  });
}

// replace_device (iommufd_device_replace)

TEST_F(ErrnoTable, ReplaceInAContextNotOpenIsEbadf) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EBADF, [&] { return m().replace_device(999, "disk", 1, a); });
  });
}

TEST_F(ErrnoTable, ReplaceOfALabelNotBoundIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(ENOENT, [&] { return m().replace_device(ctx_, "nobody", 1, a); });
  });
}

TEST_F(ErrnoTable, ReplaceToAnIdThatIsNothingIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    expect_errno(ENOENT, [&] { return m().replace_device(ctx_, "disk", 1, kNothing); });
    EXPECT_TRUE(dma("ssd", kMiB));
  });
}

TEST_F(ErrnoTable, ReplaceOfAPasidNotAttachedIsEinval) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(EINVAL, [&] { return m().replace_device(ctx_, "disk", 1, a); }),
                 "not attached");
    EXPECT_TRUE(destroy_ioas(a).ok());
  });
}

TEST_F(ErrnoTable, ReplaceToAnotherContextsObjectIsEnoent) {
  run_on(two_groups_config_without_attachments(), [&] {
    const TwoContexts t = two_contexts();
    const IoasId own = ioas({.owner = t.mine});
    ASSERT_TRUE(map(own, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(t.mine, "disk", 1, own).ok());
    expect_names(
        expect_errno(ENOENT, [&] { return m().replace_device(t.mine, "disk", 1, t.ioas); }),
        std::to_string(t.ioas));
    expect_errno(ENOENT, [&] { return m().replace_device(t.mine, "disk", 1, t.parent); });
    EXPECT_TRUE(dma("ssd", kMiB));  // still on its own IOAS
    EXPECT_FALSE(dma("ssd", 8 * kMiB));
  });
}

TEST_F(ErrnoTable, ReplaceToADirtyTrackingHwptAtAPasidOtherThanZeroIsEinval) {
  run([&] {
    const IoasId a = ioas(), b = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(map(b, 8 * kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    const HwptId dirty =
        m().alloc_hwpt(ctx_, "disk", b, HwptAlloc{.flags = uapi::kHwptAllocDirtyTracking}).id;
    expect_names(expect_errno(EINVAL, [&] { return m().replace_device(ctx_, "disk", 1, dirty); }),
                 "RID_PASID");
    EXPECT_TRUE(dma("ssd", kMiB));  // still on a
    EXPECT_FALSE(dma("ssd", 8 * kMiB));
    EXPECT_TRUE(m().destroy_hwpt(dirty).ok());  // no attachment was recorded
  });
}

// detach_device (VFIO_DEVICE_DETACH_IOMMUFD_PT, iommufd_device_detach)

TEST_F(ErrnoTable, DetachInAContextNotOpenIsEbadf) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    expect_errno(EBADF, [&] { return m().detach_device(999, "disk", 1); });
    EXPECT_TRUE(dma("ssd", kMiB));
  });
}

TEST_F(ErrnoTable, DetachOfALabelNotBoundIsEnoent) {
  run([&] { expect_errno(ENOENT, [&] { return m().detach_device(ctx_, "nobody", 1); }); });
}

TEST_F(ErrnoTable, DetachOfAPasidNotAttachedSucceeds) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a).ok());
    expect_errno(0, [&] { return m().detach_device(ctx_, "disk", 2); });
    expect_errno(0, [&] { return m().detach_device(ctx_, "vf0", 1); });
    EXPECT_TRUE(dma("ssd", kMiB));  // PASID 1 stays attached
  });
}

// capabilities (IOMMU_GET_HW_INFO)

TEST_F(ErrnoTable, CapabilitiesInAContextNotOpenIsEbadf) {
  run([&] { expect_errno(EBADF, [&] { return m().capabilities(999, "disk").status; }); });
}

TEST_F(ErrnoTable, CapabilitiesOfALabelNotBoundIsEnoent) {
  run([&] { expect_errno(ENOENT, [&] { return m().capabilities(ctx_, "nobody").status; }); });
}

// alloc_hwpt (IOMMU_HWPT_ALLOC without data)

TEST_F(ErrnoTable, AllocHwptInAContextNotOpenIsEbadf) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EBADF, [&] { return m().alloc_hwpt(999, "disk", a).status; });
    EXPECT_TRUE(destroy_ioas(a).ok());  // holds no HWPT
  });
}

TEST_F(ErrnoTable, AllocHwptForALabelNotBoundIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(ENOENT, [&] { return m().alloc_hwpt(ctx_, "nobody", a).status; });
    EXPECT_TRUE(destroy_ioas(a).ok());
  });
}

TEST_F(ErrnoTable, AllocHwptOnAnIdThatIsNothingOrANestedHwptIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_errno(EINVAL, [&] { return m().alloc_hwpt(ctx_, "disk", kNothing).status; });
    expect_names(
        expect_errno(EINVAL, [&] { return m().alloc_hwpt(ctx_, "disk", n.nested).status; }),
        std::to_string(n.nested));
  });
}

TEST_F(ErrnoTable, AllocHwptOnAPagingHwptIsEopnotsupp) {
  run([&] {
    const HwptId paging = m().alloc_hwpt(ctx_, "disk", ioas()).id;
    expect_errno(EOPNOTSUPP, [&] { return m().alloc_hwpt(ctx_, "disk", paging).status; });
    EXPECT_TRUE(m().destroy_hwpt(paging).ok());  // no child on it
  });
}

TEST_F(ErrnoTable, AllocHwptOnANestedIoasIsEinval) {
  run([&] {
    const Guest g = full_guest();
    expect_errno(EINVAL, [&] { return m().alloc_hwpt(ctx_, "disk", g.nested).status; });
    EXPECT_TRUE(destroy_ioas(g.nested).ok());
  });
}

TEST_F(ErrnoTable, AllocHwptInAFormatTheIommuLacksIsEnodev) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.iommu.address_width = 39;  // CAP.SAGAW: 3-level second-level tables only
  run_on(c, [&] {
    const ContextId ctx = m().open_context();
    ASSERT_TRUE(m().bind(ctx, "ssd", "disk").ok());
    const IoasId a = ioas();  // first-level, 4 levels
    expect_names(expect_errno(ENODEV, [&] { return m().alloc_hwpt(ctx, "disk", a, true).status; }),
                 "CAP.SAGAW");
    EXPECT_TRUE(destroy_ioas(a).ok());
  });
}

TEST_F(ErrnoTable, AllocHwptWithoutADomainIdIsEnospc) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.iommu.domain_id_bits = 4;  // 15 domain IDs; as0 has one
  run_on(c, [&] {
    const ContextId ctx = m().open_context();
    ASSERT_TRUE(m().bind(ctx, "ssd", "disk").ok());
    const IoasId a = ioas();
    for (int i = 0; i < 13; ++i) ioas();
    expect_errno(ENOSPC, [&] { return m().alloc_hwpt(ctx, "disk", a).status; });
    EXPECT_TRUE(destroy_ioas(a).ok());
  });
}

TEST_F(ErrnoTable, AllocHwptOnAnotherContextsObjectIsEinval) {
  run_on(two_groups_config_without_attachments(), [&] {
    const TwoContexts t = two_contexts();
    expect_names(
        expect_errno(EINVAL, [&] { return m().alloc_hwpt(t.mine, "disk", t.ioas).status; }),
        std::to_string(t.ioas));
    expect_names(
        expect_errno(
            EINVAL,
            [&] {
              return m().alloc_nested_hwpt(t.mine, "disk", t.parent, {.root_gpa = 0}).status;
            }),
        "not a nest-parent HWPT");
    ASSERT_TRUE(m().detach_device(t.theirs, "vf0", 1).ok());
    ASSERT_TRUE(m().destroy_hwpt(t.nested).ok());
    EXPECT_TRUE(m().destroy_hwpt(t.parent).ok());  // no child was left on it
    EXPECT_TRUE(destroy_ioas(t.ioas).ok());        // no HWPT was left on it
  });
}

// alloc_hwpt (IOMMU_HWPT_ALLOC with its flags and data: HwptAlloc)

TEST_F(ErrnoTable, AllocHwptWithDataTypeAndLengthApartIsEinval) {
  run([&] {
    const IoasId a = ioas();
    expect_names(
        expect_errno(
            EINVAL,
            [&] { return m().alloc_hwpt(ctx_, "disk", a, HwptAlloc{.data_len = 4}).status; }),
        "data_len 4");
    expect_errno(EINVAL, [&] {
      return m().alloc_hwpt(ctx_, "disk", a, HwptAlloc{.data_type = uapi::kHwptDataVtdS1}).status;
    });
    // Before the device and pt_id are looked up.
    expect_errno(EINVAL, [&] {
      return m().alloc_hwpt(ctx_, "nobody", kNothing, HwptAlloc{.data_len = 4}).status;
    });
    EXPECT_TRUE(destroy_ioas(a).ok());  // holds no HWPT
  });
}

TEST_F(ErrnoTable, AllocPagingHwptWithAFlagItDoesNotTakeIsEopnotsupp) {
  run([&] {
    const IoasId a = ioas();
    expect_names(
        expect_errno(
            EOPNOTSUPP,
            [&] { return m().alloc_hwpt(ctx_, "disk", a, HwptAlloc{.flags = 1u << 4}).status; }),
        "0x10");
    expect_names(expect_errno(EOPNOTSUPP,
                              [&] {
                                return m()
                                    .alloc_hwpt(ctx_, "disk", a,
                                                HwptAlloc{.flags = uapi::kHwptFaultIdValid |
                                                                   uapi::kHwptAllocNestParent})
                                    .status;
                              }),
                 "fault object");
    EXPECT_TRUE(destroy_ioas(a).ok());  // holds no HWPT
  });
}

TEST_F(ErrnoTable, AllocPagingHwptWithDataIsEopnotsupp) {
  run([&] {
    const IoasId a = ioas();
    expect_names(expect_errno(EOPNOTSUPP,
                              [&] {
                                return m()
                                    .alloc_hwpt(ctx_, "disk", a,
                                                HwptAlloc{.data_type = uapi::kHwptDataArmSmmuv3,
                                                          .data_len = 16})
                                    .status;
                              }),
                 "takes no data");
    EXPECT_TRUE(destroy_ioas(a).ok());  // holds no HWPT
  });
}

TEST_F(ErrnoTable, AllocHwptWithAFaultIdIsEnoent) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_names(expect_errno(ENOENT,
                              [&] {
                                return m()
                                    .alloc_hwpt(ctx_, "disk", n.memory,
                                                HwptAlloc{.flags = uapi::kHwptFaultIdValid})
                                    .status;
                              }),
                 "FAULT");
    expect_errno(ENOENT, [&] {
      return m()
          .alloc_hwpt(ctx_, "disk", n.parent,
                      HwptAlloc{.flags = uapi::kHwptFaultIdValid,
                                .data_type = uapi::kHwptDataVtdS1,
                                .data_len = uapi::kHwptVtdS1Size})
          .status;
    });
    ASSERT_TRUE(m().destroy_hwpt(n.nested).ok());
    EXPECT_TRUE(m().destroy_hwpt(n.parent).ok());  // no other child on it
    EXPECT_TRUE(destroy_ioas(n.memory).ok());      // no other HWPT on it
  });
}

// alloc_nested_hwpt (IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_VTD_S1)

TEST_F(ErrnoTable, AllocNestedHwptInAContextNotOpenIsEbadf) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_errno(EBADF, [&] { return m().alloc_nested_hwpt(999, "disk", n.parent, {}).status; });
  });
}

TEST_F(ErrnoTable, AllocNestedHwptForALabelNotBoundIsEnoent) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_errno(ENOENT,
                 [&] { return m().alloc_nested_hwpt(ctx_, "nobody", n.parent, {}).status; });
  });
}

TEST_F(ErrnoTable, AllocNestedHwptOnAnIoasIsEopnotsupp) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(EOPNOTSUPP, [&] { return m().alloc_nested_hwpt(ctx_, "disk", a, {}).status; });
    EXPECT_TRUE(destroy_ioas(a).ok());
  });
}

TEST_F(ErrnoTable, AllocNestedHwptOnAnythingButANestParentIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    const HwptId paging = m().alloc_hwpt(ctx_, "disk", n.memory).id;
    for (const HwptId not_a_parent : {kNothing, paging, n.nested}) {
      expect_names(
          expect_errno(
              EINVAL, [&] { return m().alloc_nested_hwpt(ctx_, "disk", not_a_parent, {}).status; }),
          "not a nest-parent HWPT");
    }
    EXPECT_TRUE(m().destroy_hwpt(paging).ok());
  });
}

TEST_F(ErrnoTable, AllocNestedHwptWithLevelsOtherThanFourOrFiveIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_errno(EINVAL, [&] {
      return m().alloc_nested_hwpt(ctx_, "disk", n.parent, {.levels = 3}).status;
    });
  });
}

TEST_F(ErrnoTable, AllocNestedHwptWithFiveLevelsWithoutFl5lpIsEinval) {
  run([&] {  // address width 48: CAP.FL5LP clear
    const Nested n = nested_hwpt();
    expect_names(
        expect_errno(
            EINVAL,
            [&] { return m().alloc_nested_hwpt(ctx_, "disk", n.parent, {.levels = 5}).status; }),
        "CAP.FL5LP");
  });
}

TEST_F(ErrnoTable, AllocNestedHwptWithAnUnalignedRootIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_names(
        expect_errno(
            EINVAL,
            [&] {
              return m().alloc_nested_hwpt(ctx_, "disk", n.parent, {.root_gpa = 0x1234}).status;
            }),
        "0x1234");
  });
}

TEST_F(ErrnoTable, AllocNestedHwptWithoutADomainIdIsEnospc) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.iommu.domain_id_bits = 4;  // 15 domain IDs; as0 has one
  run_on(c, [&] {
    const ContextId ctx = m().open_context();
    ASSERT_TRUE(m().bind(ctx, "ssd", "disk").ok());
    const HwptId parent = m().alloc_hwpt(ctx, "disk", ioas(), true).id;  // 2 and 3
    for (int i = 0; i < 12; ++i) ioas();
    expect_errno(ENOSPC, [&] { return m().alloc_nested_hwpt(ctx, "disk", parent, {}).status; });
    EXPECT_TRUE(m().destroy_hwpt(parent).ok());  // no child on it
  });
}

TEST_F(ErrnoTable, AllocNestedHwptWithAFlagItDoesNotTakeIsEopnotsupp) {
  run([&] {
    const Nested n = nested_hwpt();
    for (const std::uint32_t flag :
         {uapi::kHwptAllocNestParent, uapi::kHwptAllocDirtyTracking, 1u << 4}) {
      expect_names(expect_errno(EOPNOTSUPP,
                                [&] {
                                  return m()
                                      .alloc_hwpt(ctx_, "disk", n.parent,
                                                  HwptAlloc{.flags = flag,
                                                            .data_type = uapi::kHwptDataVtdS1,
                                                            .data_len = uapi::kHwptVtdS1Size})
                                      .status;
                                }),
                   "nested HWPT");
    }
    ASSERT_TRUE(m().destroy_hwpt(n.nested).ok());
    EXPECT_TRUE(m().destroy_hwpt(n.parent).ok());  // no other child on it
  });
}

TEST_F(ErrnoTable, AllocNestedHwptOnAnAutomaticHwptIsEinval) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    HwptId automatic = 0;
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a, &automatic).ok());
    expect_names(
        expect_errno(
            EINVAL,
            [&] { return m().alloc_nested_hwpt(ctx_, "disk", automatic, {.root_gpa = 0}).status; }),
        "not a nest-parent HWPT");
    ASSERT_TRUE(m().detach_device(ctx_, "disk", 1).ok());
    EXPECT_TRUE(destroy_ioas(a).ok());  // nothing was left on it
  });
}

TEST_F(ErrnoTable, AllocNestedHwptOfAnotherDataTypeIsEopnotsupp) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_errno(EOPNOTSUPP, [&] {
      return m()
          .alloc_hwpt(ctx_, "disk", n.parent,
                      HwptAlloc{.data_type = uapi::kHwptDataArmSmmuv3, .data_len = 16})
          .status;
    });
    expect_names(expect_errno(EOPNOTSUPP,
                              [&] {
                                return m()
                                    .alloc_hwpt(ctx_, "disk", n.parent,
                                                HwptAlloc{.data_type = 7, .data_len = 24})
                                    .status;
                              }),
                 "not 7");
    ASSERT_TRUE(m().destroy_hwpt(n.nested).ok());
    EXPECT_TRUE(m().destroy_hwpt(n.parent).ok());  // no other child on it
  });
}

TEST_F(ErrnoTable, AllocNestedHwptWithShortDataIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_names(
        expect_errno(EINVAL,
                     [&] {
                       return m()
                           .alloc_hwpt(ctx_, "disk", n.parent,
                                       HwptAlloc{.data_type = uapi::kHwptDataVtdS1, .data_len = 16})
                           .status;
                     }),
        "data_len 16");
    ASSERT_TRUE(m().destroy_hwpt(n.nested).ok());
    EXPECT_TRUE(m().destroy_hwpt(n.parent).ok());  // no other child on it
  });
}

// invalidate_hwpt (IOMMU_HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)

TEST_F(ErrnoTable, InvalidateInAContextNotOpenIsEbadf) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_errno(EBADF, [&] { return m().invalidate_hwpt(999, n.nested, {}); });
  });
}

TEST_F(ErrnoTable, InvalidateOnAnIdThatIsNothingIsEnoent) {
  run([&] {
    expect_names(expect_errno(ENOENT, [&] { return m().invalidate_hwpt(ctx_, kNothing, {}); }),
                 std::to_string(kNothing));
  });
}

TEST_F(ErrnoTable, InvalidateOfAnIoasOrAPagingHwptIsEinval) {
  run([&] {
    const IoasId a = ioas();
    const HwptId paging = m().alloc_hwpt(ctx_, "disk", a).id;
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, paging).ok());
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 2, a).ok());
    expect_errno(EINVAL, [&] { return m().invalidate_hwpt(ctx_, paging, {}); });
    expect_errno(EINVAL, [&] { return m().invalidate_hwpt(ctx_, a, {}); });
  });
}

TEST_F(ErrnoTable, InvalidateAtAnUnalignedAddressIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_names(
        expect_errno(
            EINVAL,
            [&] { return m().invalidate_hwpt(ctx_, n.nested, {.addr = 0x1001, .npages = 1}); }),
        "0x1001");
  });
}

TEST_F(ErrnoTable, InvalidateOfEverythingWithAnAddressIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_errno(EINVAL, [&] {
      return m().invalidate_hwpt(ctx_, n.nested, {.addr = 0x1000, .npages = kMax});
    });
  });
}

TEST_F(ErrnoTable, InvalidateOfZeroPagesIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_errno(
        EINVAL, [&] { return m().invalidate_hwpt(ctx_, n.nested, {.addr = 0x1000, .npages = 0}); });
  });
}

TEST_F(ErrnoTable, InvalidatePastTwoToTheSixtyFourIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_errno(EINVAL, [&] {
      return m().invalidate_hwpt(ctx_, n.nested, {.addr = 1ull << 63, .npages = 1ull << 51});
    });
  });
}

TEST_F(ErrnoTable, InvalidateForALabelNotBoundIsEnoent) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_names(
        expect_errno(ENOENT,
                     [&] { return m().invalidate_hwpt(ctx_, n.nested, {.label = "nobody"}); }),
        "nobody");
  });
}

TEST_F(ErrnoTable, InvalidateForALabelOrPasidNotAttachedIsEnoent) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    expect_errno(ENOENT, [&] { return m().invalidate_hwpt(ctx_, n.nested, {.pasid = 2}); });
    expect_errno(ENOENT, [&] { return m().invalidate_hwpt(ctx_, n.nested, {.label = "vf0"}); });
  });
}

TEST_F(ErrnoTable, InvalidateOfAnUnattachedHwptSucceeds) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_errno(0, [&] { return m().invalidate_hwpt(ctx_, n.nested, {}); });
  });
}

TEST_F(ErrnoTable, InvalidateOfAnotherContextsHwptIsEnoent) {
  run_on(two_groups_config_without_attachments(), [&] {
    const TwoContexts t = two_contexts();
    expect_names(expect_errno(ENOENT, [&] { return m().invalidate_hwpt(t.mine, t.nested, {}); }),
                 std::to_string(t.nested));
    std::uint32_t processed = 99;
    expect_errno(ENOENT, [&] {
      return m().invalidate_hwpt(t.mine, t.nested, HwptInvalidation{.entries = {{}}}, processed);
    });
    EXPECT_EQ(processed, 0u);
  });
}

TEST_F(ErrnoTable, InvalidateOfAnAutomaticHwptIsEinval) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    HwptId automatic = 0;
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a, &automatic).ok());
    expect_errno(EINVAL, [&] { return m().invalidate_hwpt(ctx_, automatic, {}); });
    EXPECT_TRUE(dma("ssd", kMiB));
  });
}

TEST_F(ErrnoTable, InvalidateOfAnotherDataTypeIsEinval) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    std::uint32_t processed = 99;
    expect_names(expect_errno(EINVAL,
                              [&] {
                                return m().invalidate_hwpt(
                                    ctx_, n.nested,
                                    HwptInvalidation{.data_type = 1,
                                                     .entries = {{.addr = 0x1000, .npages = 1}}},
                                    processed);
                              }),
                 "data type 1");
    EXPECT_EQ(processed, 0u);
  });
}

TEST_F(ErrnoTable, InvalidateEntryWithAFlagOtherThanLeafIsEopnotsupp) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    std::uint32_t processed = 99;
    for (const InvalidationEntry& e :
         {InvalidationEntry{.addr = 0x1000, .npages = 1, .flags = 1u << 1},
          InvalidationEntry{.addr = 0x1000, .npages = 1, .reserved = 1}}) {
      expect_names(expect_errno(EOPNOTSUPP,
                                [&] {
                                  return m().invalidate_hwpt(
                                      ctx_, n.nested, HwptInvalidation{.entries = {e}}, processed);
                                }),
                   "entry 0");
      EXPECT_EQ(processed, 0u);
    }
  });
}

TEST_F(ErrnoTable, InvalidateStopsAtTheFirstBadEntryAndCountsTheOnesBefore) {
  run([&] {
    const Nested n = nested_hwpt();
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, n.nested).ok());
    // PASID-based IOTLB invalidations the IOMMU executed: one per entry
    // handled (one PASID attached, no device TLB). The IOMMU counts a
    // wait once it is done with it, which may be after the call returned.
    auto pasid_iotlb = [&] {
      sc_core::wait(1, sc_core::SC_US);
      return tb_->platform().stats().counter_value("iommu.qi.pasid_iotlb");
    };
    const InvalidationEntry good{.addr = 0x1000, .npages = 1};
    std::uint32_t processed = 99;
    std::uint64_t before = pasid_iotlb();
    ASSERT_TRUE(
        m().invalidate_hwpt(ctx_, n.nested, HwptInvalidation{.entries = {good}}, processed).ok());
    ASSERT_EQ(processed, 1u);
    ASSERT_EQ(pasid_iotlb() - before, 1u);
    // Not a refusal of the whole call: each entry refusal of the table,
    // after two good entries, stops the array there; those two took
    // effect and are counted, the entry after it is not handled.
    const std::vector<std::pair<InvalidationEntry, int>> bad{
        {{.addr = 0x1001, .npages = 1}, EINVAL},
        {{.addr = 0x1000, .npages = kMax}, EINVAL},
        {{.addr = 0x1000, .npages = 0}, EINVAL},
        {{.addr = 1ull << 63, .npages = 1ull << 51}, EINVAL},
        {{.addr = 0x1000, .npages = 1, .flags = 1u << 1}, EOPNOTSUPP}};
    for (const auto& [entry, code] : bad) {
      before = pasid_iotlb();
      processed = 99;
      const Status s = m().invalidate_hwpt(
          ctx_, n.nested, HwptInvalidation{.entries = {good, good, entry, good}}, processed);
      EXPECT_EQ(s.code, code) << s.message;
      expect_names(s, "entry 2");
      EXPECT_EQ(processed, 2u);
      EXPECT_EQ(pasid_iotlb() - before, 2u);
    }
    // A bad first entry: nothing handled, nothing invalidated.
    expect_errno(EINVAL, [&] {
      return m().invalidate_hwpt(ctx_, n.nested, HwptInvalidation{.entries = {bad[0].first, good}},
                                 processed);
    });
    EXPECT_EQ(processed, 0u);
  });
}

// destroy_hwpt (IOMMU_DESTROY)

TEST_F(ErrnoTable, DestroyHwptOnAnIdThatIsNoHwptIsEnoent) {
  run([&] {
    const IoasId a = ioas();
    expect_errno(ENOENT, [&] { return m().destroy_hwpt(kNothing); });
    expect_errno(ENOENT, [&] { return m().destroy_hwpt(a); });
  });
}

TEST_F(ErrnoTable, DestroyHwptWithAnAttachmentIsEbusy) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    const HwptId h = m().alloc_hwpt(ctx_, "disk", a).id;
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, h).ok());
    expect_names(expect_errno(EBUSY, [&] { return m().destroy_hwpt(h); }), "attachment");
    EXPECT_TRUE(dma("ssd", kMiB));
  });
}

TEST_F(ErrnoTable, DestroyHwptUnderANestedHwptIsEbusy) {
  run([&] {
    const Nested n = nested_hwpt();
    expect_names(expect_errno(EBUSY, [&] { return m().destroy_hwpt(n.parent); }),
                 std::to_string(n.nested));
    EXPECT_TRUE(m().destroy_hwpt(n.nested).ok());
  });
}

TEST_F(ErrnoTable, DestroyHwptOnAnAutomaticHwptIsEbusy) {
  run([&] {
    const IoasId a = ioas();
    ASSERT_TRUE(map(a, kMiB, kMiB).ok());
    HwptId automatic = 0;
    ASSERT_TRUE(m().attach_device(ctx_, "disk", 1, a, &automatic).ok());
    expect_names(expect_errno(EBUSY, [&] { return m().destroy_hwpt(automatic); }), "automatic");
    EXPECT_TRUE(dma("ssd", kMiB));
    ASSERT_TRUE(m().detach_device(ctx_, "disk", 1).ok());
    // With its last attachment it is gone: an ID nothing has.
    EXPECT_EQ(m().destroy_hwpt(automatic).code, ENOENT);
  });
}

// The hardware: an invalidation the IOMMU reports failed.

TEST_F(ErrnoTable, AnInvalidationTheDeviceAnswersTooLateIsEio) {
  PlatformConfig c = default_config_without_workloads();  // nic0 on as0, PASID 1
  c.pcie.endpoints[0].ats.enabled = true;
  c.pcie.endpoints[0].ats.invalidation_latency_ns = 5e6;
  c.iommu.device_tlb_timeout_ns = 1e6;
  run_on(c, [&] {
    const IoasId as0 = tb_->platform().ioas("as0");
    ASSERT_TRUE(dma("nic0", 0x100000));
    // Not a refusal: the table is cleared and the IOTLB flushed; the wait
    // for the device's TLB failed (FSTS.ITE), and the driver cleared ITE.
    const Status s = unmap(as0, 0x100000, kMiB);
    EXPECT_EQ(s.code, EIO) << s.message;
    expect_names(s, "FSTS.ITE");
    EXPECT_FALSE(m().physical(as0, 0x100000).has_value());
    EXPECT_EQ(tb_->platform().stats().counter_value("iommu.qi.device_tlb_timeouts"), 1u);
  });
}

// The table and the tests cannot drift: every row names one test of this
// file, every test here has its row.
TEST(ErrnoTableDoc, EveryRowNamesATestAndEveryTestHasARow) {
  std::ifstream doc(IOMMU_SIM_SOURCE_DIR "/docs/errno.md");
  ASSERT_TRUE(doc) << "cannot read docs/errno.md";
  const std::regex test_name(R"(`ErrnoTable\.([A-Za-z0-9]+)`)");
  std::set<std::string> rows;
  std::string line;
  bool in_table = false;
  while (std::getline(doc, line)) {
    const bool table_line = line.starts_with("|");
    if (!table_line) {
      in_table = false;
      continue;
    }
    // The header and its |---| line are the first two of a table.
    if (!in_table) {
      in_table = true;
      std::getline(doc, line);
      continue;
    }
    std::smatch found;
    ASSERT_TRUE(std::regex_search(line, found, test_name)) << "a row names no test: " << line;
    EXPECT_TRUE(rows.insert(found[1]).second) << "two rows name " << found[1];
    const std::string rest = found.suffix();
    EXPECT_FALSE(std::regex_search(rest, test_name)) << "a row names two tests: " << line;
  }
  std::set<std::string> tests;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(i);
    if (std::string(suite.name()) != "ErrnoTable") continue;
    for (int j = 0; j < suite.total_test_count(); ++j) tests.insert(suite.GetTestInfo(j)->name());
  }
  EXPECT_GT(rows.size(), 50u);
  for (const std::string& r : rows) {
    EXPECT_TRUE(tests.contains(r)) << "docs/errno.md names ErrnoTable." << r << ", no such test";
  }
  for (const std::string& t : tests) {
    EXPECT_TRUE(rows.contains(t)) << "ErrnoTable." << t << " has no row in docs/errno.md";
  }
}

}  // namespace
}  // namespace iommu_sim::test
