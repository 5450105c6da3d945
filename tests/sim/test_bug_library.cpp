// The bug library: each scenario in configs/bugs/ models one driver or
// hardware bug, and the oracle must report exactly the violation kind the
// scenario names in its expected statistics (the scenario fails if it
// reports nothing). The same
// scenario with the bug switched off is the correct driver: no violation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "apps/scenario.h"

namespace iommu_sim::test {
namespace {

const std::filesystem::path kBugs = IOMMU_SIM_SOURCE_DIR "/configs/bugs";

std::uint64_t stat(const ScenarioReport& r, const std::string& name) {
  return r.stats_json.at("stats").at(name).get<std::uint64_t>();
}

TEST(BugLibrary, EveryBugIsReportedAsItsKindAndVanishesWithoutTheBug) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kBugs)) {
    SCOPED_TRACE(entry.path().filename().string());
    ++seen;
    std::ifstream in(entry.path());
    const nlohmann::json scenario = nlohmann::json::parse(in);
    // The kind the scenario expects to see at least once; the other must
    // stay at 0.
    const auto& expected = scenario.at("expect_stats");
    const bool breach = expected.contains("oracle.violations.isolation_breach") &&
                        expected.at("oracle.violations.isolation_breach") != 0;
    const std::string kind = breach ? "isolation_breach" : "stale_translation";
    const std::string other = breach ? "stale_translation" : "isolation_breach";
    ScenarioSpec spec;
    auto errors = parse_scenario(scenario, kBugs, spec);
    ASSERT_TRUE(errors.empty()) << errors.front().to_string();
    ScenarioReport buggy;
    ASSERT_TRUE(run_scenario(spec, buggy).empty());
    for (const auto& s : buggy.steps) EXPECT_TRUE(s.as_expected) << s.step << " -> " << s.outcome;
    for (const auto& c : buggy.stats) EXPECT_TRUE(c.as_expected) << c.name << " = " << c.value;
    EXPECT_GE(stat(buggy, "oracle.violations." + kind), 1u);
    EXPECT_EQ(stat(buggy, "oracle.violations." + other), 0u);
    ASSERT_FALSE(buggy.violations.empty());
    EXPECT_TRUE(buggy.violations.front().starts_with(kind + " at ")) << buggy.violations.front();
    if (breach) {
      // The only breach in the library is peer to peer: stats.json names the
      // BAR's owner and that the IOMMU never saw the request.
      const auto& listed = buggy.stats_json.at("oracle").at("listed").front();
      EXPECT_EQ(listed.at("peer"), "gpu1");
      EXPECT_EQ(listed.at("source"), "peer to peer, without the IOMMU");
    }

    switch_off_bugs(spec);
    ScenarioReport correct;
    ASSERT_TRUE(run_scenario(spec, correct).empty());
    EXPECT_GT(correct.oracle_checked, 0u);
    EXPECT_EQ(correct.oracle_violations, 0u)
        << (correct.violations.empty() ? "" : correct.violations.front());
    for (const auto& c : correct.stats) EXPECT_TRUE(c.as_expected) << c.name << " = " << c.value;
  }
  EXPECT_EQ(seen, 11);
}

}  // namespace
}  // namespace iommu_sim::test
