// Every iommufd call and argument as a scenario step (docs/scenarios.md):
// each test runs a timeline in-process and checks each step's outcome
// string, which carries the errno and the values the call returned.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/scenario.h"

namespace iommu_sim::test {
namespace {

// The platform every test starts from: nic0 behind its root port, nothing
// attached, no workload.
nlohmann::json scenario(nlohmann::json steps) {
  return {{"platform",
           {{"address_spaces", nlohmann::json::array()},
            {"attach", nlohmann::json::array()},
            {"workloads", nlohmann::json::array()}}},
          {"steps", std::move(steps)}};
}

// "<what> -> <outcome>" of every step, in order.
std::vector<std::string> run_steps(const nlohmann::json& steps) {
  ScenarioSpec spec;
  auto errors = parse_scenario(scenario(steps), ".", spec);
  if (!errors.empty()) return {"parse: " + errors.front().to_string()};
  ScenarioReport report;
  errors = run_scenario(spec, report);
  if (!errors.empty()) return {"run: " + errors.front().to_string()};
  std::vector<std::string> out;
  for (const StepOutcome& s : report.steps) out.push_back(s.step + " -> " + s.outcome);
  return out;
}

std::vector<ConfigError> check(const nlohmann::json& steps) {
  ScenarioSpec spec;
  return parse_scenario(scenario(steps), ".", spec);
}

const nlohmann::json kBound = nlohmann::json::parse(R"([
  {"do": "open", "context": "vmm"},
  {"do": "bind", "context": "vmm", "device": "nic0", "label": "nic"}])");

nlohmann::json bound(const nlohmann::json& more) {
  nlohmann::json steps = kBound;
  for (const auto& s : more) steps.push_back(s);
  return steps;
}

TEST(ScenarioCalls, MapWithoutIovaTakesTheLowestFreeAlignedIovaWhichLaterStepsName) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a", "page_size": "2MiB"},
    {"do": "reserve", "ioas": "a", "iova": 0, "length": "1MiB"},
    {"do": "map", "ioas": "a", "length": "0x3000", "name": "small"},
    {"do": "map", "ioas": "a", "length": "4MiB", "name": "big"},
    {"do": "map", "ioas": "a", "iova": "small+0x2000", "length": "4KiB", "expect": "EEXIST"},
    {"do": "attach", "context": "vmm", "label": "nic", "to": "a"},
    {"do": "dma", "device": "nic0", "iova": "big+0x3fffc0"},
    {"do": "dma", "device": "nic0", "iova": "big+0x400000", "expect": "unsupported_request"},
    {"do": "unmap", "ioas": "a", "iova": "small", "length": "0x3000"}])")));
  ASSERT_EQ(out.size(), 11u) << out.front();
  // Past the reservation: 4 KiB-aligned for a mapping smaller than the
  // IOAS's 2 MiB page, 2 MiB-aligned for one that is not.
  EXPECT_EQ(out[4], "map a 0x3000 bytes rw anywhere -> 0x100000 (small) -> ok");
  EXPECT_EQ(out[5], "map a 0x400000 bytes rw anywhere -> 0x200000 (big) -> ok");
  EXPECT_EQ(out[6], "map a 0x102000+0x1000 rw -> EEXIST: range overlaps the mapping at 0x100000");
  EXPECT_EQ(out[8], "dma read nic0 pasid 1 0x5fffc0 -> ok");
  EXPECT_EQ(out[9], "dma read nic0 pasid 1 0x600000 -> unsupported_request");
  EXPECT_EQ(out[10], "unmap a 0x100000+0x3000 -> ok");
}

TEST(ScenarioCalls, CopyMapsTheSourceMemoryAndRefusesAHole) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "map", "ioas": "a", "length": "0x3000", "name": "buf"},
    {"do": "ioas_alloc", "name": "b"},
    {"do": "copy", "ioas": "b", "iova": "0x40000000", "src_ioas": "a", "src_iova": "buf+0x1000",
     "length": "8KiB"},
    {"do": "copy", "ioas": "b", "iova": "0x50000000", "src_ioas": "a", "src_iova": "buf+0x2000",
     "length": "8KiB", "expect": "ENOENT"},
    {"do": "attach", "context": "vmm", "label": "nic", "to": "b"},
    {"do": "dma", "device": "nic0", "iova": "0x40001fc0"},
    {"do": "dma", "device": "nic0", "iova": "0x40002000", "expect": "unsupported_request"},
    {"do": "dma", "device": "nic0", "iova": "0x50000000", "expect": "unsupported_request"}])")));
  ASSERT_EQ(out.size(), 11u) << out.front();
  // IOVA 0 is never handed out (iopt_alloc_iova starts at PAGE_SIZE).
  EXPECT_EQ(out[3], "map a 0x3000 bytes rw anywhere -> 0x1000 (buf) -> ok");
  EXPECT_EQ(out[5], "copy a 0x2000+0x2000 -> b 0x40000000 -> ok");
  EXPECT_EQ(out[6], "copy a 0x3000+0x2000 -> b 0x50000000 -> ENOENT: source 0x4000 is not mapped");
  EXPECT_EQ(out[8], "dma read nic0 pasid 1 0x40001fc0 -> ok");
}

TEST(ScenarioCalls, IovaRangesReportTheInterruptWindowAndReservationsAndAreCompared) {
  const auto out = run_steps(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "iova_ranges", "ioas": "a",
     "ranges": [{"start": 0, "last": "0xfedfffff"},
                {"start": "0xfef00000", "last": "0x7fffffffffff"}]},
    {"do": "reserve", "ioas": "a", "iova": "0x10000", "length": "0x10000"},
    {"do": "iova_ranges", "ioas": "a", "ranges": [{"start": 0, "last": "0xfedfffff"}],
     "expect": "any"}])"));
  ASSERT_EQ(out.size(), 4u) << out.front();
  EXPECT_EQ(out[1], "iova_ranges a [0x0-0xfedfffff, 0xfef00000-0x7fffffffffff] -> ok");
  EXPECT_EQ(out[3],
            "iova_ranges a [0x0-0xffff, 0x20000-0xfedfffff, 0xfef00000-0x7fffffffffff] -> "
            "EFAULT: read [0x0-0xffff, 0x20000-0xfedfffff, 0xfef00000-0x7fffffffffff], expected "
            "[0x0-0xfedfffff]");
}

TEST(ScenarioCalls, AnAddressNamingNoEarlierMapIsRefusedBeforeAnythingRuns) {
  const auto errors = check(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "map", "ioas": "a", "iova": "buf+0x1000", "length": "4KiB"},
    {"do": "map", "ioas": "a", "length": "4KiB", "name": "a"},
    {"do": "dma", "device": "nic0", "iova": "a"}])"));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].to_string(),
            "steps[1].iova: is neither a number nor the name of an IOVA an earlier map step chose "
            "(\"buf\")");
  EXPECT_EQ(errors[1].to_string(), "steps[2].name: the name \"a\" is used already");
  EXPECT_EQ(errors[2].to_string(),
            "steps[3].iova: is neither a number nor the name of an IOVA an earlier map step chose "
            "(\"a\")");
}

}  // namespace
}  // namespace iommu_sim::test
