// Scenario timelines: every shipped scenario runs and meets its
// expectations; a scenario whose expectation is wrong fails (exit 1) and
// says which step; a bad scenario file runs nothing (exit 2) and names the
// field; the same scenario gives the same stats.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/scenario.h"
#include "scenario/actions.h"
#include "tests/support/cli.h"

namespace iommu_sim::test {
namespace {

const std::filesystem::path kScenarios = IOMMU_SIM_SOURCE_DIR "/configs/scenarios";

ScenarioReport run_file(const std::filesystem::path& file, ScenarioSpec* spec_out = nullptr) {
  std::ifstream in(file);
  ScenarioSpec spec;
  auto errors = parse_scenario(nlohmann::json::parse(in), file.parent_path(), spec);
  EXPECT_TRUE(errors.empty()) << file << ": " << errors.front().to_string();
  ScenarioReport report;
  errors = run_scenario(spec, report);
  EXPECT_TRUE(errors.empty()) << file << ": " << errors.front().to_string();
  if (spec_out != nullptr) *spec_out = spec;
  return report;
}

const StepOutcome& step(const ScenarioReport& r, const std::string& prefix, int nth = 0) {
  for (const StepOutcome& s : r.steps) {
    if (s.step.starts_with(prefix) && nth-- == 0) return s;
  }
  throw std::out_of_range("no step " + prefix);
}

TEST(Scenarios, EveryShippedScenarioMeetsItsExpectations) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kScenarios)) {
    ++seen;
    const ScenarioReport r = run_file(entry.path());
    for (const auto& s : r.steps) {
      EXPECT_TRUE(s.as_expected) << entry.path() << ": " << s.step << " -> " << s.outcome;
    }
    for (const auto& c : r.stats) EXPECT_TRUE(c.as_expected) << entry.path() << ": " << c.name;
    EXPECT_TRUE(r.stats_json.at("scenario").at("passed").get<bool>());
  }
  EXPECT_GE(seen, 4);
}

TEST(Scenarios, GroupScenarioRefusesTheLoneAttachAndNamesTheUnboundFunction) {
  const ScenarioReport r = run_file(kScenarios / "group_of_two_devices.json");
  EXPECT_EQ(step(r, "attach vmm/vf0").outcome,
            "EPERM: nic.0's IOMMU group 2 is not wholly bound to this context: nic.1");
  EXPECT_EQ(step(r, "attach vmm/vf0", 1).outcome, "ok");
  EXPECT_EQ(step(r, "bind nic.1 as intruder/stolen").outcome.substr(0, 6), "EPERM:");
  EXPECT_EQ(step(r, "dma read nic.0", 2).outcome, "unsupported_request");  // after close
}

TEST(Scenarios, ReplaceUnderLiveDmaLosesNoRequest) {
  const ScenarioReport r = run_file(kScenarios / "replace_under_live_dma.json");
  const auto& stats = r.stats_json.at("stats");
  EXPECT_EQ(stats.at("workload.rx.completed").get<std::uint64_t>(), 20000u);
  EXPECT_EQ(stats.at("workload.rx.faulted").get<std::uint64_t>(), 0u);
  // Both replaces happened while the workload was running.
  EXPECT_DOUBLE_EQ(step(r, "replace").at_ns, 300000.0);
  EXPECT_DOUBLE_EQ(step(r, "replace", 1).at_ns, 600000.0);
  const double mean = stats.at("workload.rx.latency").at("mean").get<double>();
  EXPECT_GT(10000.0 + 20000 * mean / 8, 600000.0);
}

TEST(Scenarios, AWrongExpectationFailsTheRunAndNamesTheStep) {
  const std::string file = write_temp("iommu_sim_wrong_expectation.json", R"({
    "platform": {"address_spaces": [], "attach": [], "workloads": []},
    "steps": [
      {"do": "open", "context": "c"},
      {"do": "bind", "context": "c", "device": "nic0", "label": "n"},
      {"do": "dma", "device": "nic0", "iova": "0x100000"}
    ],
    "expect_stats": {"iommu.translated": 1}})");
  const CommandResult r = run_command("run " + file);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("-> unsupported_request    MISMATCH: expected ok"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("stat iommu.translated = 0 (expected = 1)    MISMATCH"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("scenario FAILED: 2 of 6 expectations not met"), std::string::npos);
}

TEST(Scenarios, AnyAcceptsEveryOutcomeAndStillReportsIt) {
  const std::string file = write_temp("iommu_sim_any_expectation.json", R"({
    "platform": {"address_spaces": [], "attach": [], "workloads": []},
    "steps": [{"do": "dma", "device": "nic0", "iova": "0x100000", "expect": "any"}]})");
  const CommandResult r = run_command("run " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("-> unsupported_request"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("MISMATCH"), std::string::npos) << r.output;
}

TEST(Scenarios, AddressesTakeEverySixtyFourBitValueAsHexStrings) {
  // Above 1e18 and 2^53, where a JSON number cannot hold them exactly.
  const std::string file = write_temp("iommu_sim_u64.json", R"({
    "platform": {"address_spaces": [], "attach": [], "workloads": []},
    "steps": [{"do": "ioas_alloc", "name": "a"},
              {"do": "map", "ioas": "a", "iova": "0xfffffffffffff000", "length": "4KiB",
               "expect": "EINVAL"},
              {"do": "map", "ioas": "a", "iova": "0xfffffffffffff000", "length": "8KiB",
               "expect": "EOVERFLOW"},
              {"do": "dma", "device": "nic0", "iova": "0xffffffffffffffc0",
               "expect": "unsupported_request"}]})");
  const CommandResult r = run_command("run " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("map a 0xfffffffffffff000+0x1000 rw\n                -> EINVAL: range "
                          "0xfffffffffffff000+0x1000 is beyond the IOVA space"),
            std::string::npos)
      << r.output;
}

TEST(Scenarios, WithoutBugsABugScenarioRunsCleanAndShowsTheCorrectOutcome) {
  // mask_too_small expects the stale DMA to succeed; with every bug off the
  // same DMA is blocked and the oracle sees nothing.
  const std::string file = IOMMU_SIM_SOURCE_DIR "/configs/bugs/mask_too_small.json";
  const CommandResult buggy = run_command("run " + file);
  EXPECT_EQ(buggy.exit_code, 0) << buggy.output;
  EXPECT_NE(buggy.output.find("1 violations"), std::string::npos) << buggy.output;
  const CommandResult fixed = run_command("run " + file + " --without-bugs");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.output;
  EXPECT_NE(fixed.output.find("0 violations"), std::string::npos) << fixed.output;
  EXPECT_NE(fixed.output.find("-> unsupported_request"), std::string::npos) << fixed.output;
  EXPECT_NE(fixed.output.find("stat oracle.violations.stale_translation = 0 (expected = 0)"),
            std::string::npos)
      << fixed.output;
}

struct BadScenario {
  const char* json;
  const char* error;  // expected in the output
};

class BadScenarios : public ::testing::TestWithParam<BadScenario> {};

TEST_P(BadScenarios, RunNothingExitTwoAndNameTheField) {
  // ctest runs the cases in parallel: one file each.
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const std::string file = write_temp(
      "iommu_sim_bad_scenario_" + name.substr(name.rfind('/') + 1) + ".json", GetParam().json);
  const CommandResult r = run_command("run " + file);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(GetParam().error), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("->"), std::string::npos) << "a step ran: " << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, BadScenarios,
    ::testing::Values(
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}], "extra": 1})",
                    "extra: unknown key"},
        // Found by fuzz_scenario and fuzz_config (docs/fuzzing.md): the
        // empty key's error had no path; 1e999 ended the command with an
        // uncaught exception (out_of_range, not parse_error).
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}], "": 1})",
                    "scenario error: \"\": unknown key"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}],
                       "expect_stats": {"iommu.translated": 1e999}})",
                    "is not valid JSON: [json.exception.out_of_range.406] number overflow"},
        BadScenario{R"({"steps": []})", "steps: must have between 1 and"},
        BadScenario{R"({"steps": [{"do": "launch"}]})", "steps[0].do: must be one of"},
        BadScenario{R"({"steps": [{"context": "c"}]})", "steps[0].do: is required"},
        BadScenario{R"({"steps": [{"do": "bind", "context": "c", "device": "nic0"}]})",
                    "steps[0].label: is required by \"bind\" steps"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c", "iova": 4096}]})",
                    "steps[0].iova: is not used by \"open\" steps"},
        BadScenario{R"({"steps": [{"do": "close", "context": "c"}]})",
                    "steps[0].context: no context named \"c\" is created before this step"},
        BadScenario{
            R"({"steps": [{"do": "open", "context": "c"}, {"do": "open", "context": "c"}]})",
            "steps[1].context: the name \"c\" is used already"},
        BadScenario{R"({"steps": [{"do": "dma", "device": "gpu", "iova": 0}]})",
                    "steps[0].device: the topology has no function named \"gpu\""},
        BadScenario{R"({"steps": [{"do": "dma", "device": "nic0", "iova": 4064, "size": 64,
                                   "expect": "EPERM"}]})",
                    "steps[0].expect: a dma ends ok, unsupported_request or completer_abort"},
        BadScenario{R"({"steps": [{"do": "dma", "device": "nic0", "iova": 4090, "size": 8}]})",
                    "steps[0].iova: must be aligned to size"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c", "expect": "EWHATEVER"}]})",
                    "steps[0].expect: must be ok or an errno name"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c"},
                                  {"do": "faults", "context": "c",
                                   "faults": [{"label": "n", "reason": "71h"}]}]})",
                    "steps[1].faults[0].reason: must be a fault reason"},
        BadScenario{R"({"steps": [{"do": "map", "ioas": "nowhere", "iova": 0, "length": 4096}]})",
                    "steps[0].ioas: no IOAS named \"nowhere\""},
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}],
                       "platform": {"iommu": {"iotlb": {"ways": 0}}}})",
                    "platform.iommu.iotlb.ways"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}], "platform": "missing.json"})",
                    "platform: cannot open"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}],
                       "expect_stats": {"iommu.nonsense": 1}})",
                    "expect_stats.iommu.nonsense: no numeric statistic"},
        BadScenario{R"({"steps": [{"do": "open", "context": "c"}],
                       "expect_stats": {"iommu.translated": {"least": 1}}})",
                    "expect_stats.iommu.translated.least: unknown bound"}),
    [](const ::testing::TestParamInfo<BadScenario>& info) {
      return "case" + std::to_string(info.index);
    });

TEST(Scenarios, APlatformFileWithANumberNoDoubleHoldsIsNotValidJson) {
  // A "platform" file holding 1e999 ended parse_scenario with an uncaught
  // exception (out_of_range, not parse_error). Found by fuzz_scenario
  // (docs/fuzzing.md).
  const std::filesystem::path file =
      write_temp("iommu_sim_overflow_platform.json", R"({"seed": 1e999})");
  ScenarioSpec spec;
  const auto errors =
      parse_scenario(nlohmann::json{{"platform", file.filename().string()},
                                    {"steps", {{{"do", "open"}, {"context", "c"}}}}},
                     file.parent_path(), spec);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.front().path, "platform");
  EXPECT_NE(errors.front().reason.find("is not valid JSON: [json.exception.out_of_range.406]"),
            std::string::npos)
      << errors.front().reason;
}

TEST(Scenarios, DocsListEveryActionAsTheTableDeclaresIt) {
  std::ifstream in(IOMMU_SIM_SOURCE_DIR "/docs/scenarios.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(doc.find(actions_markdown()), std::string::npos)
      << "regenerate the Steps table with: build/apps/iommu-sim params --scenario-steps";
  EXPECT_EQ(actions().size(), 23u);
  for (const Action& a : actions()) {
    EXPECT_NE(doc.find("| `" + std::string(a.name) + "` |"), std::string::npos) << a.name;
    EXPECT_NE(a.run, nullptr) << a.name;
  }
}

TEST(Scenarios, TheSameScenarioGivesTheSameStatsJson) {
  const ScenarioReport a = run_file(kScenarios / "replace_under_live_dma.json");
  const ScenarioReport b = run_file(kScenarios / "replace_under_live_dma.json");
  EXPECT_EQ(a.stats_json.dump(), b.stats_json.dump());
}

TEST(Scenarios, ReportSaysHowManyViolationsItDidNotList) {
  // A device that completes invalidations before its queued writes land:
  // dozens of stale writes, more than a short list holds.
  const auto file = std::filesystem::path(IOMMU_SIM_SOURCE_DIR) / "configs" / "bugs" /
                    "invalidation_completes_before_dmas.json";
  std::ifstream in(file);
  ScenarioSpec spec;
  ASSERT_TRUE(parse_scenario(nlohmann::json::parse(in), file.parent_path(), spec).empty());
  for (const std::uint32_t max_listed : {5u, 100000u}) {
    SCOPED_TRACE(max_listed);
    spec.platform.oracle.max_listed = max_listed;
    ScenarioReport report;
    ASSERT_TRUE(run_scenario(spec, report).empty());
    ASSERT_GT(report.oracle_violations, 5u);
    const std::uint64_t listed = std::min<std::uint64_t>(max_listed, report.oracle_violations);
    EXPECT_EQ(report.violations.size(), listed);
    const auto& oracle = report.stats_json.at("oracle");
    EXPECT_EQ(oracle.at("listed").size(), listed);
    EXPECT_EQ(oracle.at("not_listed").get<std::uint64_t>(), report.oracle_violations - listed);
    std::ostringstream text;
    print_scenario_report(text, spec, report);
    const std::string line = "\n    ... and " + std::to_string(report.oracle_violations - listed) +
                             " more not listed (oracle.max_listed)\n";
    EXPECT_EQ(text.str().find(line) != std::string::npos, listed < report.oracle_violations)
        << text.str();
    EXPECT_EQ(text.str().find("not listed") == std::string::npos,
              listed == report.oracle_violations);
  }
}

}  // namespace
}  // namespace iommu_sim::test
