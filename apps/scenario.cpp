#include "apps/scenario.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "apps/reports.h"
#include "model/json_input.h"
#include "model/kernel.h"
#include "scenario/steps_input.h"

namespace iommu_sim {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

bool ScenarioReport::passed() const {
  for (const auto& s : steps) {
    if (!s.as_expected) return false;
  }
  for (const auto& s : stats) {
    if (!s.as_expected) return false;
  }
  return true;
}

std::vector<ConfigError> parse_scenario(const nlohmann::json& j, const std::filesystem::path& dir,
                                        ScenarioSpec& out,
                                        const std::vector<ConfigOverride>& overrides) {
  if (!j.is_object()) return {{"scenario file", "must be a JSON object"}};
  std::vector<ConfigError> errors;
  for (const auto& [key, value] : j.items()) {
    if (key != "description" && key != "platform" && key != "steps" && key != "expect_stats") {
      errors.push_back(
          {key_in_path(key), "unknown key (expected description, platform, steps, expect_stats)"});
    }
  }
  ScenarioSpec spec;
  if (j.contains("description")) {
    if (j["description"].is_string()) {
      spec.description = j["description"];
    } else {
      errors.push_back({"description", "must be a string"});
    }
  }
  nlohmann::json platform = nlohmann::json::object();
  if (auto p = j.find("platform"); p != j.end()) {
    if (p->is_string()) {
      std::string error;
      if (auto read = read_json(dir / p->get<std::string>(), error))
        platform = std::move(*read);
      else
        errors.push_back({"platform", error});
    } else {
      platform = *p;
    }
  }
  // Scenarios check ordering and isolation unless the platform says not to.
  // An `oracle` that is not an object is left for load_config to refuse.
  if (platform.is_object()) {
    auto oracle = platform.find("oracle");
    if (oracle == platform.end())
      platform["oracle"] = {{"enabled", true}};
    else if (oracle->is_object() && !oracle->contains("enabled"))
      (*oracle)["enabled"] = true;
  }
  const auto platform_errors = load_config_with(platform, overrides, spec.platform);
  for (auto e : platform_errors) {
    e.path = "platform." + e.path;
    errors.push_back(std::move(e));
  }
  if (j.contains("steps")) {
    spec.steps = parse_steps(j["steps"], errors);
  } else {
    errors.push_back({"steps", "is required"});
  }
  // Devices are checked against the topology, so that must be sound.
  if (platform_errors.empty()) {
    auto more = check_steps(spec.steps, spec.platform);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (auto e = j.find("expect_stats"); e != j.end()) {
    const nlohmann::json wanted = e->is_object() ? *e : nlohmann::json::object();
    if (!e->is_object()) errors.push_back({"expect_stats", "must be an object"});
    for (const auto& [name, want] : wanted.items()) {
      StatExpectation x{name};
      const std::string at = "expect_stats." + name;
      if (want.is_number()) {
        x.equals = want.get<double>();
      } else if (want.is_object() && !want.empty()) {
        for (const auto& [k, v] : want.items()) {
          const std::string bound = std::string(at).append(".").append(k);
          if (!v.is_number()) {
            errors.push_back({bound, "must be a number"});
          } else if (k == "min") {
            x.min = v.get<double>();
          } else if (k == "max") {
            x.max = v.get<double>();
          } else {
            errors.push_back({bound, "unknown bound (expected min, max)"});
          }
        }
      } else {
        errors.push_back({at, "must be a number or {\"min\": x, \"max\": y}"});
      }
      spec.stats.push_back(std::move(x));
    }
  }
  const bool names_violations =
      std::any_of(spec.stats.begin(), spec.stats.end(),
                  [](const auto& x) { return x.name.starts_with("oracle.violations."); });
  if (!names_violations && spec.platform.oracle.enabled) {
    spec.stats.push_back({"oracle.violations.stale_translation", 0.0, {}, {}});
    spec.stats.push_back({"oracle.violations.isolation_breach", 0.0, {}, {}});
  }
  if (errors.empty()) out = std::move(spec);
  return errors;
}

ResourceEstimate scenario_resources(const ScenarioSpec& spec) {
  ResourceEstimate e = estimate_resources(spec.platform);
  for (std::size_t i = 0; i < spec.steps.size(); ++i) {
    const StepParams& s = spec.steps[i];
    if (s.action != "map" && s.action != "guest_map") continue;
    e.add_memory("steps[" + std::to_string(i) + "].length",
                 kBytesPerLeaf * leaf_entries(s.iova, s.length, 4096));
  }
  return e;
}

void switch_off_bugs(ScenarioSpec& spec) {
  spec.platform.host.bug = "none";
  spec.platform.iommu.bug = "none";
  for (auto& port : spec.platform.pcie.ports) port.bug = "none";
  for (auto& e : spec.platform.pcie.endpoints) e.ats.bug = "none";
  // What the steps expected was the buggy outcome (a DMA through a stale
  // entry succeeding); without the bug it differs, and only the oracle's
  // verdict is the check.
  for (auto& step : spec.steps) step.expect = "any";
  spec.stats = {{"oracle.violations.stale_translation", 0.0, {}, {}},
                {"oracle.violations.isolation_breach", 0.0, {}, {}}};
}

std::vector<ConfigError> run_scenario(const ScenarioSpec& spec, ScenarioReport& out) {
  start_fresh_kernel();
  Platform platform(spec.platform);
  std::vector<ConfigError> errors;
  {
    const nlohmann::json names = platform.stats_json();
    for (const auto& x : spec.stats) {
      const auto v = resolve_stat(names, x.name);
      if (!v || !v->is_number()) {
        errors.push_back({"expect_stats." + x.name,
                          "no numeric statistic of that name (see docs/statistics.md)"});
      }
    }
  }
  if (!errors.empty()) return errors;
  ScenarioTimeline timeline("scenario", platform, spec.steps);
  platform.run();
  ScenarioReport report;
  report.steps = timeline.outcomes();
  // A step the simulation never reached (the timeline thread cannot stop
  // early, so only a step after an endless wait) did not happen as expected.
  for (std::size_t i = report.steps.size(); i < spec.steps.size(); ++i) {
    report.steps.push_back({0, spec.steps[i].action, "not reached", spec.steps[i].expect, false});
  }
  report.stats_json = platform.stats_json();
  report.oracle_checked = platform.oracle().checked();
  report.oracle_violations = platform.oracle().violations();
  for (const Violation& v : platform.oracle().listed()) report.violations.push_back(v.to_string());
  for (const auto& x : spec.stats) {
    StatCheck c{x.name};
    c.value = resolve_stat(report.stats_json, x.name)->get<double>();
    c.as_expected = true;
    if (x.equals) {
      c.expected = "= " + number(*x.equals);
      c.as_expected = c.value == *x.equals;
    }
    if (x.min) {
      c.expected += (c.expected.empty() ? ">= " : ", >= ") + number(*x.min);
      c.as_expected = c.as_expected && c.value >= *x.min;
    }
    if (x.max) {
      c.expected += (c.expected.empty() ? "<= " : ", <= ") + number(*x.max);
      c.as_expected = c.as_expected && c.value <= *x.max;
    }
    report.stats.push_back(std::move(c));
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : report.steps) {
    steps.push_back({{"at_ns", s.at_ns},
                     {"step", s.step},
                     {"outcome", s.outcome},
                     {"expected", s.expected},
                     {"as_expected", s.as_expected}});
  }
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : report.stats) {
    checks.push_back({{"name", c.name},
                      {"value", c.value},
                      {"expected", c.expected},
                      {"as_expected", c.as_expected}});
  }
  report.stats_json["scenario"] = {{"description", spec.description},
                                   {"passed", report.passed()},
                                   {"steps", steps},
                                   {"expect_stats", checks}};
  out = std::move(report);
  return {};
}

void print_scenario_report(std::ostream& os, const ScenarioSpec& spec,
                           const ScenarioReport& report) {
  if (!spec.description.empty()) os << "scenario: " << spec.description << "\n";
  std::size_t failed = 0;
  for (const auto& s : report.steps) {
    char time[32];
    std::snprintf(time, sizeof time, "%12.2f ns  ", s.at_ns);
    os << time << s.step << "\n" << std::string(16, ' ') << "-> " << s.outcome;
    if (!s.as_expected) {
      os << "    MISMATCH: expected " << s.expected;
      ++failed;
    }
    os << "\n";
  }
  if (report.oracle_checked != 0) {
    os << "  oracle: " << report.oracle_checked << " DMAs checked, " << report.oracle_violations
       << " violations\n";
    for (const auto& v : report.violations) os << "    " << v << "\n";
    print_not_listed(os, report.oracle_violations - report.violations.size());
  }
  for (const auto& c : report.stats) {
    os << "  stat " << c.name << " = " << number(c.value) << " (expected " << c.expected << ")";
    if (!c.as_expected) {
      os << "    MISMATCH";
      ++failed;
    }
    os << "\n";
  }
  const std::size_t total = report.steps.size() + report.stats.size();
  if (failed == 0) {
    os << "scenario passed: " << report.steps.size() << " steps and " << report.stats.size()
       << " statistics as expected\n";
  } else {
    os << "scenario FAILED: " << failed << " of " << total << " expectations not met\n";
  }
}

}  // namespace iommu_sim
