// The rules iommufd's selftests (tools/testing/selftests/iommu/iommufd.c)
// pin down for its objects, re-expressed against the ioasid manager: one
// test per rule, named after it. Every refused call is checked to have
// changed nothing: not a byte of simulated memory (tables, PASID entries,
// data), no invalidation, no mapping or attachment.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "model/host/guest_page_table.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

class Conformance : public ::testing::Test {
 protected:
  Conformance() : tb_(two_groups_config_without_attachments()), m_(tb_.platform().manager()) {}

  // Runs the test body in a SystemC thread with a context that binds
  // both nic functions ("vf0", "vf1") and the ssd ("disk").
  void run(const std::function<void()>& body) {
    tb_.run([&] {
      ctx_ = m_.open_context();
      ASSERT_TRUE(m_.bind(ctx_, "nic.0", "vf0").ok());
      ASSERT_TRUE(m_.bind(ctx_, "nic.1", "vf1").ok());
      ASSERT_TRUE(m_.bind(ctx_, "ssd", "disk").ok());
      body();
    });
  }

  // `call` must fail with `code` and leave memory and the invalidation
  // queue exactly as they were.
  void expect_refused(int code, const std::function<Status()>& call) {
    const Status s = expect_unchanged(call);
    EXPECT_EQ(s.code, code) << s.message;
    EXPECT_FALSE(s.message.empty());
  }
  // `call` must succeed the same way: it finds nothing to do, as Linux's
  // counterpart does.
  void expect_nothing_to_do(const std::function<Status()>& call) {
    const Status s = expect_unchanged(call);
    EXPECT_TRUE(s.ok()) << s.message;
  }
  Status expect_unchanged(const std::function<Status()>& call) {
    const std::uint64_t memory = tb_.platform().memory().store().digest();
    const std::uint64_t descriptors = qi_descriptors();
    Status s = call();
    EXPECT_EQ(tb_.platform().memory().store().digest(), memory) << "the call wrote memory";
    EXPECT_EQ(qi_descriptors(), descriptors) << "the call invalidated";
    return s;
  }

  std::uint64_t qi_descriptors() {
    return tb_.platform().stats().counter_value("iommu.qi.descriptors");
  }
  IoasId new_ioas(IoasTranslation t = IoasTranslation::FirstLevel) {
    const IoasCreated c = m_.create_ioas({.translation = t});
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    return c.id;
  }
  bool dma(const std::string& fn, std::uint64_t iova, bool write = false) {
    return tb_.probe(fn).issue({.address = iova, .write = write}).ok;
  }

  TestBench tb_;
  IoasidManager& m_;
  ContextId ctx_ = 0;
};

using Range = std::pair<std::uint64_t, std::uint64_t>;

TEST_F(Conformance, IoasDestroyRemovesItAndItsIdIsGone) {
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.destroy_ioas(a).ok());
    expect_refused(ENOENT, [&] { return m_.destroy_ioas(a); });
    expect_refused(ENOENT, [&] { return m_.map(a, 4 * kMiB, 4096, true); });
    expect_refused(ENOENT, [&] { return m_.unmap(a, kMiB, kMiB); });
    expect_refused(ENOENT, [&] { return m_.attach_device(ctx_, "disk", 1, a); });
  });
}

TEST_F(Conformance, ObjectsInUseCannotBeDestroyed) {
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, a).ok());
    expect_refused(EBUSY, [&] { return m_.destroy_ioas(a); });
    const IoasId b = new_ioas();
    const HwptId h = m_.alloc_hwpt(ctx_, "vf0", b).id;
    expect_refused(EBUSY, [&] { return m_.destroy_ioas(b); });  // holds a HWPT
    ASSERT_TRUE(m_.attach_device(ctx_, "vf0", 1, h).ok());
    expect_refused(EBUSY, [&] { return m_.destroy_hwpt(h); });
    ASSERT_TRUE(m_.detach_device(ctx_, "vf0", 1).ok());
    ASSERT_TRUE(m_.destroy_hwpt(h).ok());
    ASSERT_TRUE(m_.destroy_ioas(b).ok());
    ASSERT_TRUE(m_.detach_device(ctx_, "disk", 1).ok());
    ASSERT_TRUE(m_.destroy_ioas(a).ok());
  });
}

TEST_F(Conformance, MapNeedsPageAlignedNonEmptyRangesThatDoNotWrap) {
  run([&] {
    const IoasId a = new_ioas();
    expect_refused(EINVAL, [&] { return m_.map(a, kMiB + 1, 4096, true); });
    expect_refused(EINVAL, [&] { return m_.map(a, kMiB, 4097, true); });
    expect_refused(EINVAL, [&] { return m_.map(a, kMiB, 0, true); });
    expect_refused(EOVERFLOW, [&] { return m_.map(a, ~0ull - 4095, 8192, true); });
    // Beyond the 4-level first-level table's lower half (2^47).
    expect_refused(EINVAL, [&] { return m_.map(a, 1ull << 47, 4096, true); });
    EXPECT_FALSE(m_.physical(a, kMiB).has_value());
  });
}

TEST_F(Conformance, FixedMapOverlappingAnAreaIsEexistAndMapsNothing) {
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, 2 * kMiB, kMiB, true).ok());
    const auto before = m_.physical(a, 2 * kMiB);
    expect_refused(EEXIST, [&] { return m_.map(a, 2 * kMiB + 4096, 4096, true); });
    expect_refused(EEXIST, [&] { return m_.map(a, kMiB, 2 * kMiB, true); });
    expect_refused(EEXIST, [&] { return m_.map(a, 3 * kMiB - 4096, kMiB, true); });
    EXPECT_EQ(m_.physical(a, 2 * kMiB), before);
    EXPECT_FALSE(m_.physical(a, kMiB).has_value());
    EXPECT_FALSE(m_.physical(a, 3 * kMiB).has_value());
  });
}

TEST_F(Conformance, UnmapTakesWholeAreasOnlyAndEnoentOtherwise) {
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.map(a, 2 * kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, a).ok());
    // Cutting an area (either end) or a range with nothing mapped.
    expect_refused(ENOENT, [&] { return m_.unmap(a, kMiB, 4096); });
    expect_refused(ENOENT, [&] { return m_.unmap(a, kMiB + 4096, 2 * kMiB); });
    expect_refused(ENOENT, [&] { return m_.unmap(a, 8 * kMiB, kMiB); });
    expect_refused(EINVAL, [&] { return m_.unmap(a, kMiB, 0); });
    EXPECT_TRUE(dma("ssd", kMiB));
    // One range covering both areas unmaps both and says how much.
    std::uint64_t unmapped = 0;
    ASSERT_TRUE(m_.unmap(a, 0, 4 * kMiB, &unmapped).ok());
    EXPECT_EQ(unmapped, 2 * kMiB);
    EXPECT_FALSE(dma("ssd", kMiB));
    EXPECT_FALSE(dma("ssd", 2 * kMiB));
  });
}

TEST_F(Conformance, ReservedRangesCannotBeMappedAndAreLeftOutOfIovaRanges) {
  run([&] {
    const IoasId a = new_ioas();
    // A map over a reserved range is EINVAL (iopt_check_iova); reserving
    // over a mapping EADDRINUSE (iopt_reserve_iova).
    expect_refused(EINVAL, [&] { return m_.map(a, 0xFEE00000, 4096, true); });
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    expect_refused(EADDRINUSE, [&] { return m_.reserve(a, kMiB, 4096); });
    ASSERT_TRUE(m_.reserve(a, 16 * kMiB, kMiB).ok());
    expect_refused(EINVAL, [&] { return m_.map(a, 16 * kMiB + 4096, 4096, true); });
    const auto ranges = m_.iova_ranges(a);
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[0], Range(0, 16 * kMiB - 1));
    EXPECT_EQ(ranges[1], Range(17 * kMiB, 0xFEE00000 - 1));
    EXPECT_EQ(ranges[2], Range(0xFEF00000, (1ull << 47) - 1));
  });
}

TEST_F(Conformance, AutomaticIovasAvoidAreasAndReservedRangesAndAlignLargeMaps) {
  run([&] {
    const IoasCreated c = m_.create_ioas({.max_page_shift = 21});
    const IoasId a = c.id;
    ASSERT_TRUE(m_.reserve(a, 0, 2 * kMiB).ok());
    std::mt19937_64 rng(7);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
    for (int i = 0; i < 64; ++i) {
      const std::uint64_t length = (rng() % 2 ? 4096 : 2 * kMiB) * (1 + rng() % 3);
      const auto r = m_.map_anywhere(a, length, true);
      ASSERT_TRUE(r.status.ok()) << r.status.message;
      if (length >= 2 * kMiB) {
        EXPECT_EQ(r.iova % (2 * kMiB), 0u) << length;
      }
      EXPECT_GE(r.iova, 2 * kMiB);
      for (const auto& [lo, len] : got) {
        EXPECT_TRUE(r.iova + length <= lo || lo + len <= r.iova) << "overlap at " << r.iova;
      }
      got.emplace_back(r.iova, length);
    }
  });
}

TEST_F(Conformance, CopyNeedsAFullyMappedSourceAndSharesItsMemory) {
  run([&] {
    const IoasId src = new_ioas();
    const IoasId dst = new_ioas(IoasTranslation::SecondLevel);
    ASSERT_TRUE(m_.map(src, kMiB, kMiB, true).ok());
    expect_refused(ENOENT, [&] { return m_.copy(dst, 8 * kMiB, src, kMiB, 2 * kMiB); });
    EXPECT_FALSE(m_.physical(dst, 8 * kMiB).has_value());
    ASSERT_TRUE(m_.copy(dst, 8 * kMiB, src, kMiB + 4096, 8192).ok());
    EXPECT_EQ(m_.physical(dst, 8 * kMiB), m_.physical(src, kMiB + 4096));
    EXPECT_EQ(m_.physical(dst, 8 * kMiB + 4096), m_.physical(src, kMiB + 8192));
    expect_refused(EEXIST, [&] { return m_.copy(dst, 8 * kMiB, src, kMiB, 4096); });
  });
}

TEST_F(Conformance, AttachNeedsTheWholeGroupBoundToTheContext) {
  tb_.run([&] {
    const ContextId ctx = m_.open_context();
    ASSERT_TRUE(m_.bind(ctx, "nic.0", "vf0").ok());
    const IoasId a = new_ioas();
    expect_refused(EPERM, [&] { return m_.attach_device(ctx, "vf0", 1, a); });
    ASSERT_TRUE(m_.bind(ctx, "nic.1", "vf1").ok());
    EXPECT_TRUE(m_.attach_device(ctx, "vf0", 1, a).ok());
  });
}

TEST_F(Conformance, ADeviceAndPasidIsAttachedOnceAndDetachedOnce) {
  run([&] {
    const IoasId a = new_ioas();
    const IoasId b = new_ioas();
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, a).ok());
    expect_refused(EBUSY, [&] { return m_.attach_device(ctx_, "disk", 1, a); });
    expect_refused(EBUSY, [&] { return m_.attach_device(ctx_, "disk", 1, b); });
    EXPECT_TRUE(m_.attach_device(ctx_, "disk", 2, b).ok());  // another PASID
    ASSERT_TRUE(m_.detach_device(ctx_, "disk", 1).ok());
    // Detaching again finds nothing to detach and, as
    // VFIO_DEVICE_DETACH_IOMMUFD_PT, succeeds without touching anything.
    expect_nothing_to_do([&] { return m_.detach_device(ctx_, "disk", 1); });
    expect_refused(EINVAL, [&] { return m_.replace_device(ctx_, "disk", 1, b); });
    expect_refused(ENOENT, [&] { return m_.detach_device(ctx_, "nobody", 2); });
  });
}

TEST_F(Conformance, ReplaceToAMissingObjectChangesNothing) {
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, a).ok());
    expect_refused(ENOENT, [&] { return m_.replace_device(ctx_, "disk", 1, 4242); });
    EXPECT_TRUE(dma("ssd", kMiB));
    EXPECT_EQ(m_.destroy_ioas(a).code, EBUSY);  // still attached to a
  });
}

TEST_F(Conformance, NestedHwptsNeedANestParentAndUserInvalidationNeedsANestedHwpt) {
  run([&] {
    const IoasId a = new_ioas();
    const HwptId paging = m_.alloc_hwpt(ctx_, "disk", a).id;
    expect_refused(
        EINVAL, [&] { return m_.alloc_nested_hwpt(ctx_, "disk", paging, {.root_gpa = 0}).status; });
    expect_refused(EINVAL, [&] { return m_.invalidate_hwpt(ctx_, paging, {}); });
    const HwptId parent = m_.alloc_hwpt(ctx_, "disk", a, true).id;
    const HwptId nested = m_.alloc_nested_hwpt(ctx_, "disk", parent, {.root_gpa = 0}).id;
    expect_refused(EBUSY, [&] { return m_.destroy_hwpt(parent); });
    // Unattached: nothing to invalidate, and no error (Linux flushes no
    // cache tag).
    expect_nothing_to_do([&] { return m_.invalidate_hwpt(ctx_, nested, {}); });
    expect_refused(EINVAL, [&] { return m_.invalidate_hwpt(ctx_, nested, {.npages = 0}); });
    expect_refused(EINVAL, [&] {
      return m_.invalidate_hwpt(ctx_, nested, {.addr = 4096});  // npages ~0 needs addr 0
    });
  });
}

TEST_F(Conformance, ContextsAndLabelsAreCheckedOnEveryCall) {
  run([&] {
    const IoasId a = new_ioas();
    expect_refused(EEXIST, [&] { return m_.bind(ctx_, "nic.0", "disk"); });
    // A device is opened once (vfio_df_open): EINVAL, here or elsewhere.
    expect_refused(EINVAL, [&] { return m_.bind(ctx_, "nic.0", "again"); });
    expect_refused(ENOENT, [&] { return m_.bind(ctx_, "gpu", "g"); });
    expect_refused(EINVAL, [&] { return m_.bind(ctx_, "nic.0", ""); });
    expect_refused(ENOENT, [&] { return m_.attach_device(ctx_, "nobody", 1, a); });
    expect_refused(EBADF, [&] { return m_.attach_device(999, "disk", 1, a); });
    expect_refused(EBADF, [&] { return m_.alloc_hwpt(999, "disk", a).status; });
    const ContextId other = m_.open_context();
    expect_refused(EINVAL, [&] { return m_.bind(other, "nic.1", "vf1"); });
    ASSERT_TRUE(m_.close_context(other).ok());
    expect_refused(EBADF, [&] { return m_.close_context(other); });
  });
}

// Security rules (the issue's list): a device in the blocking domain
// never reaches memory, DMA after detach returned never lands, a closed
// context leaves nothing reachable.

TEST_F(Conformance, ADeviceInTheBlockingDomainNeverReachesMemory) {
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, a).ok());  // the IOMMU is in use
    const std::uint64_t memory = tb_.platform().memory().store().digest();
    const auto reads = [&] {
      auto& s = tb_.platform().stats();
      return s.counter_value("memory.reads") - s.counter_value("iommu.walk.memory_reads");
    };
    const std::uint64_t data_reads = reads();
    std::mt19937_64 rng(11);
    for (int i = 0; i < 500; ++i) {
      // nic.0/nic.1 are bound but unattached: both in the blocking domain.
      const DmaRequest r{.address = (rng() % (4 * kMiB)) & ~63ull,
                         .write = rng() % 2 == 0,
                         .pasid_present = rng() % 4 != 0,
                         .pasid = static_cast<std::uint32_t>(rng() % 4)};
      EXPECT_FALSE(tb_.probe(rng() % 2 ? "nic.0" : "nic.1").issue(r).ok);
    }
    EXPECT_EQ(reads(), data_reads);
    EXPECT_EQ(tb_.platform().memory().store().digest(), memory);
  });
}

TEST_F(Conformance, NoDmaLandsAfterDetachReturns) {
  std::vector<std::pair<sc_core::sc_time, bool>> done;  // completion time, ok
  sc_core::sc_time detached;
  run([&] {
    const IoasId a = new_ioas();
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, a).ok());
    // Four DMA streams of writes; the host detaches in the middle.
    for (int t = 0; t < 4; ++t) {
      sc_core::sc_spawn([&, t] {
        for (int i = 0; i < 200; ++i) {
          const DmaResult r = tb_.probe("ssd").issue(
              {.address = kMiB + 0x1000 * ((t * 200 + i) % 256), .write = true});
          done.emplace_back(sc_core::sc_time_stamp(), r.ok);
        }
      });
    }
    sc_core::wait(20, sc_core::SC_US);
    ASSERT_TRUE(m_.detach_device(ctx_, "disk", 1).ok());
    detached = sc_core::sc_time_stamp();
  });
  std::size_t ok_before = 0, ok_after = 0, failed_after = 0;
  for (const auto& [t, ok] : done) {
    if (t <= detached) ok_before += ok;
    if (t > detached) (ok ? ok_after : failed_after) += 1;
  }
  EXPECT_GT(ok_before, 0u);
  EXPECT_GT(failed_after, 0u);
  EXPECT_EQ(ok_after, 0u) << "DMA completed into memory after detach returned";
}

TEST_F(Conformance, ClosingAContextLeavesNoMappingReachable) {
  run([&] {
    const IoasId a = new_ioas();
    const IoasId b = new_ioas(IoasTranslation::SecondLevel);
    ASSERT_TRUE(m_.map(a, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.map(b, kMiB, kMiB, true).ok());
    ASSERT_TRUE(m_.attach_device(ctx_, "vf0", 1, a).ok());
    ASSERT_TRUE(m_.attach_device(ctx_, "vf1", 2, b).ok());
    const HwptId h = m_.alloc_hwpt(ctx_, "disk", b).id;
    ASSERT_TRUE(m_.attach_device(ctx_, "disk", 1, h).ok());
    EXPECT_TRUE(dma("nic.0", kMiB));
    EXPECT_TRUE(tb_.probe("nic.1").issue({.address = kMiB, .pasid = 2}).ok);
    EXPECT_TRUE(dma("ssd", kMiB));
    ASSERT_TRUE(m_.close_context(ctx_).ok());
    const std::uint64_t memory = tb_.platform().memory().store().digest();
    for (std::uint64_t iova = kMiB; iova < 2 * kMiB; iova += 0x10000) {
      for (std::uint32_t pasid : {1u, 2u}) {
        for (const char* fn : {"nic.0", "nic.1", "ssd"}) {
          EXPECT_FALSE(tb_.probe(fn).issue({.address = iova, .write = true, .pasid = pasid}).ok)
              << fn << " pasid " << pasid << " reached " << iova;
        }
      }
    }
    EXPECT_EQ(tb_.platform().memory().store().digest(), memory);
    // The context's HWPT went with it (iommufd_fops_release); the IOASes,
    // the platform's, outlive it and can now be destroyed.
    EXPECT_EQ(m_.destroy_hwpt(h).code, ENOENT);
    EXPECT_TRUE(m_.destroy_ioas(a).ok());
  });
}

}  // namespace
}  // namespace iommu_sim::test
