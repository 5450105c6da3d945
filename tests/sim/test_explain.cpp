// `iommu-sim explain`: the steps of one DMA, and their times adding up to
// the latency the same DMA has when a test probe issues it.
#include "apps/explain.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

std::int64_t sum_of_steps(const Explanation& e) {
  std::int64_t sum = 0;
  for (const ExplainStep& s : e.steps) sum += s.delta_ps;
  return sum;
}

std::vector<const ExplainStep*> steps_named(const Explanation& e, std::string_view what) {
  std::vector<const ExplainStep*> out;
  for (const ExplainStep& s : e.steps) {
    if (s.what == what) out.push_back(&s);
  }
  return out;
}

std::uint64_t field(const ExplainStep& s, std::string_view name) {
  for (const auto& [n, v] : s.fields) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no field " << name << " in " << s.what;
  return 0;
}

// The latency the same DMA has from a probe, after `warm_up` (if any).
sc_core::sc_time probe_latency(const PlatformConfig& c, const DmaRequest& r,
                               std::optional<DmaRequest> warm_up = std::nullopt) {
  TestBench tb(c);
  sc_core::sc_time latency;
  tb.run([&] {
    if (warm_up) tb.probe("nic0").issue(*warm_up);
    latency = tb.probe("nic0").issue(r).latency;
  });
  return latency;
}

// One warm-up DMA at `address` as the config's own workload.
PlatformConfig warmed_at(std::uint64_t address) {
  PlatformConfig c = default_config_without_workloads();
  WorkloadParams w;
  w.name = "warm";
  w.device = "nic0";
  w.pattern = "sequential";
  w.base = address;
  w.span = 4096;
  w.count = 1;
  c.workloads.push_back(w);
  return c;
}

void expect_consistent(const Explanation& e, sc_core::sc_time probed) {
  ASSERT_TRUE(e.error.empty()) << e.error;
  EXPECT_EQ(sum_of_steps(e), static_cast<std::int64_t>(e.latency_ps()));
  EXPECT_EQ(e.latency_ps(), probed.value());
  for (const ExplainStep& s : e.steps) EXPECT_GE(s.delta_ps, 0) << s.text;
  EXPECT_EQ(e.steps.front().what, "dma.issue");
  EXPECT_EQ(e.steps.back().what, "dma.complete");
}

TEST(Explain, AColdFourLevelWalkReadsEveryStructureOnceAndAddsUpToTheLatency) {
  const PlatformConfig c = default_config_without_workloads();
  ExplainRequest r;
  r.address = 0x100040;
  r.pasid_from_attach = true;
  const Explanation e = explain(c, r);
  expect_consistent(e, probe_latency(c, {.address = 0x100040}));
  EXPECT_TRUE(e.ok);
  EXPECT_EQ(e.request.device, "nic0");
  ASSERT_EQ(e.request.pasid, 1u);
  ASSERT_EQ(steps_named(e, "root.read").size(), 1u);
  ASSERT_EQ(steps_named(e, "context.read").size(), 1u);
  ASSERT_EQ(steps_named(e, "pasid_dir.read").size(), 1u);
  const auto pasid_entry = steps_named(e, "pasid_entry.read");
  ASSERT_EQ(pasid_entry.size(), 1u);
  EXPECT_EQ(field(*pasid_entry[0], "pgtt"), 1u);  // first-level
  const auto reads = steps_named(e, "fl.read");
  ASSERT_EQ(reads.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(field(*reads[i], "level"), 4 - i);
  // The leaf maps 0x100000 to the first page of data memory.
  EXPECT_EQ(field(*reads[3], "next"),
            field(*steps_named(e, "iommu.translated")[0], "address") & ~0xfffull);
  // Each paging-entry read is one 8-byte memory read: the same time each.
  std::vector<std::int64_t> memory;
  for (std::size_t i = 1; i < e.steps.size(); ++i) {
    if (e.steps[i].what == "fl.read") memory.push_back(e.steps[i - 1].delta_ps);
  }
  ASSERT_EQ(memory.size(), 4u);
  const MemoryParams m;
  EXPECT_GE(memory[0], static_cast<std::int64_t>(m.latency_ns * 1000));
  EXPECT_TRUE(std::all_of(memory.begin(), memory.end(), [&](auto d) { return d == memory[0]; }));
  // The lookup latency and the PSC probe are steps of their own.
  EXPECT_EQ(steps_named(e, "context_cache.probe")[0]->delta_ps,
            static_cast<std::int64_t>(c.iommu.lookup_latency_ns * 1000));
  EXPECT_EQ(steps_named(e, "fl_psc.probe")[0]->delta_ps,
            static_cast<std::int64_t>(c.iommu.psc_lookup_latency_ns * 1000));
  // Rights accumulate level by level.
  EXPECT_EQ(reads[3]->note, "first-level rights so far: R/W=1 U/S=1 XD=0");
}

TEST(Explain, AnIotlbHitTakesTheLookupAndNoWalk) {
  const PlatformConfig c = warmed_at(0x100000);
  ExplainRequest r;
  r.address = 0x100040;
  r.pasid = 1;
  r.warm = true;
  const Explanation e = explain(c, r);
  expect_consistent(e, probe_latency(default_config_without_workloads(), {.address = 0x100040},
                                     DmaRequest{.address = 0x100000}));
  const auto probe = steps_named(e, "iotlb.probe");
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(field(*probe[0], "hit"), 1u);
  EXPECT_TRUE(steps_named(e, "walk.begin").empty());
  EXPECT_TRUE(steps_named(e, "root.read").empty());
}

TEST(Explain, APdeCacheHitResumesAtTheLastLevel) {
  // The warm-up walked 0x101000: the PDE covering 0x100000-0x1fffff is cached.
  const PlatformConfig c = warmed_at(0x101000);
  ExplainRequest r;
  r.address = 0x100040;
  r.pasid = 1;
  r.warm = true;
  const Explanation e = explain(c, r);
  expect_consistent(e, probe_latency(default_config_without_workloads(), {.address = 0x100040},
                                     DmaRequest{.address = 0x101000}));
  const auto psc = steps_named(e, "fl_psc.probe");
  ASSERT_EQ(psc.size(), 1u);
  EXPECT_EQ(field(*psc[0], "hit_level"), 2u);
  const auto reads = steps_named(e, "fl.read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(field(*reads[0], "level"), 1u);
}

TEST(Explain, ANestedColdWalkTranslatesEveryGuestTableThroughTheSecondLevel) {
  PlatformConfig c = default_config_without_workloads();
  c.address_spaces.clear();
  AddressSpaceParams ram;
  ram.name = "guest_ram";
  ram.translation = "second_level";
  ram.mappings = {{0x0, 256ull << 20}};
  AddressSpaceParams iova;
  iova.name = "guest_iova";
  iova.translation = "nested";
  iova.parent = "guest_ram";
  iova.mappings = {{0x100000, 16ull << 20}};
  c.address_spaces = {ram, iova};
  c.attach = {{"nic0", 1, "guest_iova"}};
  ExplainRequest r;
  r.address = 0x100040;
  r.pasid = 1;
  const Explanation e = explain(c, r);
  expect_consistent(e, probe_latency(c, {.address = 0x100040}));
  EXPECT_TRUE(e.ok);
  EXPECT_EQ(field(*steps_named(e, "pasid_entry.read")[0], "pgtt"), 3u);  // nested
  EXPECT_EQ(steps_named(e, "fl.read").size(), 4u);
  // The guest's four table pointers and its leaf's output each need the
  // second level; a cold walk reads at least one second-level entry for each.
  EXPECT_GE(steps_named(e, "sl.read").size(), 5u);
  EXPECT_EQ(steps_named(e, "sl_psc.probe").size(), 5u);
}

TEST(Explain, AFaultNamesItsReasonMeaningAndSection) {
  const PlatformConfig c = default_config_without_workloads();
  ExplainRequest r;
  r.address = 0x200000;  // past the 1 MiB mapping: its PDE is not present
  r.pasid = 1;
  const Explanation e = explain(c, r);
  expect_consistent(e, probe_latency(c, {.address = 0x200000}));
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.completion, "Unsupported Request");
  const auto fault = steps_named(e, "fault");
  ASSERT_EQ(fault.size(), 1u);
  EXPECT_EQ(field(*fault[0], "reason"), 0x71u);
  EXPECT_NE(fault[0]->text.find("first-level entry not present"), std::string::npos);
  EXPECT_NE(fault[0]->text.find("VT-d 9.7"), std::string::npos);
  EXPECT_EQ(steps_named(e, "fl.read").size(), 3u);  // PML4E, PDPTE, then the absent PDE
}

TEST(Explain, FunctionalModeStepsAddUpToo) {
  PlatformConfig c = default_config_without_workloads();
  c.mode = "functional";
  ExplainRequest r;
  r.address = 0x100040;
  r.pasid = 1;
  const Explanation e = explain(c, r);
  expect_consistent(e, probe_latency(c, {.address = 0x100040}));
  EXPECT_EQ(steps_named(e, "fl.read").size(), 4u);
}

// --json carries the same steps: each step's delta, relative time, category
// and decoded fields, and a latency equal to the deltas' sum.
TEST(Explain, TheJsonFormHasEveryStepAndTheirSum) {
  const PlatformConfig c = default_config_without_workloads();
  ExplainRequest r;
  r.address = 0x200000;
  r.pasid = 1;
  const Explanation e = explain(c, r);
  const nlohmann::json j = explanation_json(e);
  EXPECT_EQ(j["request"]["device"], "nic0");
  EXPECT_EQ(j["request"]["address"], 0x200000u);
  EXPECT_EQ(j["request"]["pasid"], 1u);
  EXPECT_EQ(j["result"]["ok"], false);
  EXPECT_EQ(j["result"]["completion"], "Unsupported Request");
  ASSERT_EQ(j["steps"].size(), e.steps.size());
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < e.steps.size(); ++i) {
    const auto& step = j["steps"][i];
    EXPECT_EQ(step["event"], e.steps[i].what);
    EXPECT_EQ(step["category"], trace::category_name(e.steps[i].category));
    EXPECT_EQ(step["time_ps"], e.steps[i].time_ps - e.issued_ps);
    sum += step["delta_ps"].get<std::int64_t>();
  }
  EXPECT_EQ(sum, j["latency_ps"].get<std::int64_t>());
  const auto fault = std::find_if(j["steps"].begin(), j["steps"].end(),
                                  [](const auto& s) { return s["event"] == "fault"; });
  ASSERT_NE(fault, j["steps"].end());
  EXPECT_EQ((*fault)["fields"]["reason"], 0x71u);
  ExplainRequest none = r;
  none.pasid.reset();
  EXPECT_TRUE(explanation_json(explain(c, none))["request"]["pasid"].is_null());
}

TEST(Explain, AnUnknownDeviceIsNamedWithTheFunctionsThereAre) {
  ExplainRequest r;
  r.device = "gpu9";
  r.address = 0x100000;
  const Explanation e = explain(default_config_without_workloads(), r);
  EXPECT_EQ(e.error, "--device: no function named \"gpu9\" (functions: nic0)");
  EXPECT_TRUE(e.steps.empty());
}

}  // namespace
}  // namespace iommu_sim::test
