// Scenarios: a platform, a timeline of host calls, guest table changes and
// DMAs with the outcome each must have, and expected statistics.
// `iommu-sim run FILE` runs one and fails when an expectation is not met.
//
// A scenario file is JSON (docs/scenarios.md):
//   { "description": "...",
//     "platform": { ...a --config file... }   or "platform": "../file.json",
//     "steps": [ { "at_ns": 0, "do": "bind", "context": "vmm",
//                  "device": "nic0", "label": "nic" }, ... ],
//     "expect_stats": { "workload.rx.faulted": 0,
//                       "iommu.iotlb.hits": { "min": 100 } } }
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "apps/config_overrides.h"
#include "model/config_loader.h"
#include "model/platform/platform_config.h"
#include "model/platform/resource_estimate.h"
#include "scenario/scenario_timeline.h"

namespace iommu_sim {

struct StatExpectation {
  std::string name;
  std::optional<double> equals, min, max;
};

struct ScenarioSpec {
  std::string description;
  PlatformConfig platform;
  std::vector<StepParams> steps;
  std::vector<StatExpectation> stats;
};

struct StatCheck {
  std::string name;
  double value = 0;
  std::string expected;  // "= 0", ">= 100", "in [1, 5]"
  bool as_expected = false;
};

// clang-tidy 14 cannot see that nlohmann::json's noexcept move constructor
// does not throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct ScenarioReport {
  std::vector<StepOutcome> steps;
  std::vector<std::string> violations;  // the oracle's, with provenance
  std::uint64_t oracle_checked = 0, oracle_violations = 0;
  std::vector<StatCheck> stats;
  nlohmann::json stats_json;
  bool passed() const;
};

// Reads and checks a scenario file's JSON; `dir` resolves a relative
// "platform" path. Every error names its field. The oracle is on unless the
// platform turns it off, and a scenario that names no oracle.violations.*
// statistic expects both kinds to be 0.
// `overrides` (--set) change the platform as they change a config file.
std::vector<ConfigError> parse_scenario(const nlohmann::json& j, const std::filesystem::path& dir,
                                        ScenarioSpec& out,
                                        const std::vector<ConfigOverride>& overrides = {});

// The same scenario on correct hardware and a correct driver: every bug
// knob (host.bug, iommu.bug, pcie.ports[].bug, pcie.endpoints[].ats.bug)
// set to none, every step's expected outcome to "any", and the expected
// statistics replaced by "no oracle violation of either kind". The bug
// library's counter-check.
void switch_off_bugs(ScenarioSpec& spec);

// The platform's estimate plus the page tables the steps' maps write
// (counted in 4 KiB pages: a step does not say its IOAS's page size).
ResourceEstimate scenario_resources(const ScenarioSpec& spec);

// Builds the platform on a fresh kernel, checks the statistic names
// (errors: nothing ran), runs the timeline with the platform's workloads
// and compares. stats_json gets a "scenario" section with every outcome.
std::vector<ConfigError> run_scenario(const ScenarioSpec& spec, ScenarioReport& out);

void print_scenario_report(std::ostream& os, const ScenarioSpec& spec,
                           const ScenarioReport& report);

}  // namespace iommu_sim
