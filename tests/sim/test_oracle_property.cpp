// The correct driver never lets a device use a translation after the host
// settled its change: over 1000 seeded random interleavings of map, unmap,
// replace, detach and attach (strict and lazy unmap) with concurrent DMA
// from three functions and three PASIDs, two of them through a device TLB
// (the ssd uses ATS), the oracle reports nothing. The
// same interleavings with a driver that does not wait for its
// invalidations do make it report: the property can fail. Under memory
// load (4 KiB DMAs queueing for microseconds) the same holds for the
// hardware's draining, and an IOMMU or device that does not drain is
// caught.
#include <gtest/gtest.h>

#include <random>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

struct Outcome {
  std::uint64_t checked = 0, violations = 0, calls_ok = 0;
  std::string first;      // the first violation, with its provenance
  bool finished = false;  // the host thread got through all its calls
};

constexpr std::uint64_t kBase = 0x100000, kSpan = 512 * 1024;

// `bug` is a host.bug; `hardware_bug` "iommu:<iommu.bug>" or
// "ssd:<ats.bug>"; `size` the DMAs' size (4 KiB DMAs keep memory busy).
Outcome interleave(std::uint64_t seed, const std::string& bug, const std::string& hardware_bug = "",
                   std::uint32_t size = 64) {
  PlatformConfig c = two_groups_config_without_attachments();
  c.seed = seed;
  c.host.unmap = seed % 2 ? "lazy" : "strict";
  c.host.flush_queue_size = 4;
  c.host.flush_timeout_ns = 3000;
  c.host.bug = bug;
  // Two channels: DMAs and the IOMMU's own accesses finish out of order,
  // so invalidations must drain.
  c.memory.channels = 2;
  c.pcie.endpoints[1].ats.enabled = true;      // ssd has a device TLB
  if (size > 64) c.memory.bandwidth_gbps = 2;  // DMAs queue at memory
  if (hardware_bug.starts_with("iommu:")) c.iommu.bug = hardware_bug.substr(6);
  if (hardware_bug.starts_with("ssd:")) c.pcie.endpoints[1].ats.bug = hardware_bug.substr(4);
  if (bug != "none") c.iommu.descriptor_latency_ns = 2000;
  TestBench tb(c);
  tb.allow_violations();
  auto& m = tb.platform().manager();
  Outcome out;
  tb.run([&] {
    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic.0", "n0").ok());
    ASSERT_TRUE(m.bind(ctx, "nic.1", "n1").ok());
    ASSERT_TRUE(m.bind(ctx, "ssd", "s").ok());
    std::vector<IoasId> spaces;
    for (auto t :
         {IoasTranslation::FirstLevel, IoasTranslation::SecondLevel, IoasTranslation::FirstLevel}) {
      spaces.push_back(m.create_ioas({.translation = t}).id);
      ASSERT_TRUE(m.map(spaces.back(), kBase, kSpan / 2, true).ok());
    }
    struct Attachment {
      const char* label;
      std::uint32_t pasid;
      bool attached;
    };
    std::vector<Attachment> users{{"s", 1, false}, {"s", 2, false}, {"n0", 1, false}};
    for (std::size_t i = 0; i < users.size(); ++i) {
      users[i].attached = m.attach_device(ctx, users[i].label, users[i].pasid, spaces[i]).ok();
    }
    // DMA from three (function, PASID)s, and from nic.1, never attached.
    const std::pair<const char*, std::uint32_t> streams[] = {
        {"ssd", 1}, {"ssd", 2}, {"nic.0", 1}, {"nic.1", 1}};
    for (const auto& [fn, pasid] : streams) {
      sc_core::sc_spawn([&tb, fn = fn, pasid = pasid, s = rng(), size] {
        std::mt19937_64 r(s);
        for (int i = 0; i < 60; ++i) {
          sc_core::wait(static_cast<double>(r() % 600), sc_core::SC_NS);
          // Mostly in the half mapped at the start, some beyond.
          tb.probe(fn).issue({.address = kBase + (r() % (kSpan / size * 5 / 8)) * size,
                              .write = r() % 3 == 0,
                              .size = size,
                              .pasid = pasid});
        }
      });
    }
    for (int op = 0; op < 16; ++op) {
      sc_core::wait(static_cast<double>(pick(2000)), sc_core::SC_NS);
      const IoasId as = spaces[pick(spaces.size())];
      const std::uint64_t iova = kBase + pick(kSpan / 4096) * 4096;
      const std::uint64_t length = 4096 * (1 + pick(16));
      Attachment& u = users[pick(users.size())];
      Status s;
      switch (pick(6)) {
        case 0:
        case 5:
          s = m.map(as, iova, length, pick(2) == 0);
          break;
        case 1:
          s = m.unmap(as, iova & ~0xffffull, 0x10000 * (1 + pick(4)));
          break;
        case 2:
          s = u.attached ? m.replace_device(ctx, u.label, u.pasid, as)
                         : m.attach_device(ctx, u.label, u.pasid, as);
          u.attached = u.attached || s.ok();
          break;
        case 3:
          s = m.detach_device(ctx, u.label, u.pasid);
          u.attached = u.attached && !s.ok();
          break;
        default:
          s = pick(4) == 0 ? m.unmap(as, 0, 1ull << 40)  // everything
                           : m.map(as, kBase, kSpan / 2, true);
          break;
      }
      out.calls_ok += s.ok();
    }
    out.finished = true;
  });
  out.checked = tb.platform().oracle().checked();
  out.violations = tb.platform().oracle().violations();
  if (out.violations != 0) out.first = tb.platform().oracle().listed().front().to_string();
  return out;
}

TEST(OracleProperty, TheCorrectDriverNeverLeavesAStaleTranslationUsable) {
  Outcome total;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    const Outcome o = interleave(seed, "none");
    ASSERT_EQ(o.violations, 0u) << "seed " << seed << ": " << o.first;
    EXPECT_TRUE(o.finished) << "seed " << seed << ": the host thread never returned";
    total.checked += o.checked;
    total.calls_ok += o.calls_ok;
  }
  std::printf("1000 interleavings: %llu DMAs checked, %llu host calls succeeded, 0 violations\n",
              static_cast<unsigned long long>(total.checked),
              static_cast<unsigned long long>(total.calls_ok));
  EXPECT_GT(total.checked, 50000u);
  EXPECT_GT(total.calls_ok, 5000u);
}

// The same interleavings with 4 KiB DMAs on a 2 GB/s memory, where each DMA
// queues behind the others for microseconds: invalidations must drain
// (VT-d spec 6.5.2.3) and the device must finish its translated DMAs before
// answering an Invalidate Request (PCIe Base spec 10.3.1).
TEST(OracleProperty, UnderLoadTheHardwareDrainsBeforeAnyWaitCompletes) {
  std::uint64_t checked = 0;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    const Outcome o = interleave(seed, "none", "", 4096);
    ASSERT_EQ(o.violations, 0u) << "seed " << seed << ": " << o.first;
    EXPECT_TRUE(o.finished) << "seed " << seed;
    checked += o.checked;
  }
  std::printf("1000 loaded interleavings: %llu DMAs checked, 0 violations\n",
              static_cast<unsigned long long>(checked));
  EXPECT_GT(checked, 50000u);
}

TEST(OracleProperty, HardwareThatDoesNotDrainIsCaughtUnderLoad) {
  for (const std::string bug :
       {"iommu:wait_completes_before_drain", "ssd:invalidation_completes_before_dmas"}) {
    std::uint64_t violations = 0, caught = 0;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      const Outcome o = interleave(seed, "none", bug, 4096);
      violations += o.violations;
      caught += o.violations != 0;
    }
    std::printf("%s: 50 loaded interleavings, %llu with violations, %llu in all\n", bug.c_str(),
                static_cast<unsigned long long>(caught),
                static_cast<unsigned long long>(violations));
    EXPECT_GT(caught, 5u) << bug;
  }
}

TEST(OracleProperty, ADriverThatDoesNotWaitIsCaught) {
  std::uint64_t violations = 0, caught = 0;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const Outcome o = interleave(seed, "no_wait_after_invalidation");
    violations += o.violations;
    caught += o.violations != 0;
  }
  std::printf("no wait after invalidation: 50 interleavings, %llu with violations, %llu in all\n",
              static_cast<unsigned long long>(caught), static_cast<unsigned long long>(violations));
  EXPECT_GT(caught, 10u) << violations;
}

}  // namespace
}  // namespace iommu_sim::test
