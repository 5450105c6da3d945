// explain on every shipped config and scenario platform: the first
// attached function's DMA to the start of its address space's first
// mapping (or, with nothing attached, to 0x100000, which faults), cold;
// the steps must add up to the latency and start and end with the DMA.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "apps/explain.h"
#include "apps/scenario.h"
#include "model/config_loader.h"

namespace iommu_sim::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> files_in(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(IOMMU_SIM_SOURCE_DIR) / dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ExplainRequest first_dma(const PlatformConfig& c) {
  ExplainRequest r;
  r.address = 0x100000;
  if (c.attach.empty()) {
    r.device = c.pcie.endpoints.front().name;
    if (c.pcie.endpoints.front().functions > 1) r.device += ".0";
    return r;
  }
  r.device = c.attach.front().device;
  r.pasid = c.attach.front().pasid;
  for (const auto& as : c.address_spaces) {
    if (as.name == c.attach.front().ioas && !as.mappings.empty()) {
      r.address = as.mappings.front().iova;
    }
  }
  return r;
}

void check(const PlatformConfig& c, const std::string& what) {
  const ExplainRequest r = first_dma(c);
  const Explanation e = explain(c, r);
  ASSERT_TRUE(e.error.empty()) << what << ": " << e.error;
  std::int64_t sum = 0;
  for (const ExplainStep& s : e.steps) {
    EXPECT_GE(s.delta_ps, 0) << what << ": " << s.text;
    sum += s.delta_ps;
  }
  EXPECT_EQ(sum, static_cast<std::int64_t>(e.latency_ps())) << what;
  ASSERT_FALSE(e.steps.empty()) << what;
  EXPECT_EQ(e.steps.front().what, "dma.issue") << what;
  EXPECT_EQ(e.steps.back().what, "dma.complete") << what;
}

TEST(ExplainShipped, EveryConfigExplainsItsFirstDma) {
  std::size_t n = 0;
  for (const std::string dir : {"configs", "configs/platforms", "configs/devices",
                                "configs/topology", "configs/tutorial"}) {
    for (const fs::path& f : files_in(dir)) {
      std::ifstream in(f);
      const auto j = nlohmann::json::parse(in);
      if (j.contains("sweep")) continue;  // a sweep file, not a config
      PlatformConfig c;
      const auto errors = load_config(j, c);
      ASSERT_TRUE(errors.empty()) << f << ": " << errors.front().to_string();
      check(c, f.string());
      ++n;
    }
  }
  EXPECT_GE(n, 20u);
}

TEST(ExplainShipped, EveryScenarioPlatformExplainsItsFirstDma) {
  std::size_t n = 0;
  for (const std::string dir : {"configs/scenarios", "configs/bugs"}) {
    for (const fs::path& f : files_in(dir)) {
      std::ifstream in(f);
      ScenarioSpec spec;
      const auto errors = parse_scenario(nlohmann::json::parse(in), f.parent_path(), spec);
      ASSERT_TRUE(errors.empty()) << f << ": " << errors.front().to_string();
      check(spec.platform, f.string());
      ++n;
    }
  }
  EXPECT_GE(n, 15u);
}

}  // namespace
}  // namespace iommu_sim::test
