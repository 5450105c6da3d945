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

TEST(ScenarioCalls, MapFlagsAreIommufdsAndUnknownBitsAreRefused) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "map", "ioas": "a", "length": "4KiB", "iova": "0x100000",
     "flags": ["fixed_iova", "readable"]},
    {"do": "map", "ioas": "a", "length": "8KiB", "flags": ["readable", "writeable"], "name": "rw"},
    {"do": "map", "ioas": "a", "length": "4KiB", "flags": ["readable", "0x100"],
     "expect": "EOPNOTSUPP"},
    {"do": "map", "ioas": "a", "length": "4KiB", "flags": [], "expect": "EINVAL"},
    {"do": "attach", "context": "vmm", "label": "nic", "to": "a"},
    {"do": "dma", "device": "nic0", "iova": "0x100000"},
    {"do": "dma", "device": "nic0", "iova": "0x100000", "write": true,
     "expect": "unsupported_request"},
    {"do": "dma", "device": "nic0", "iova": "rw+0x1000", "write": true}])")));
  ASSERT_EQ(out.size(), 11u) << out.front();
  EXPECT_EQ(out[3], "map a 0x1000 bytes flags fixed_iova|readable iova 0x100000 -> 0x100000 -> ok");
  EXPECT_EQ(out[4], "map a 0x2000 bytes flags readable|writeable -> 0x1000 (rw) -> ok");
  EXPECT_EQ(out[5].substr(0, out[5].find(':')),
            "map a 0x1000 bytes flags readable|0x100 -> EOPNOTSUPP");
  EXPECT_EQ(out[6].substr(0, out[6].find(':')), "map a 0x1000 bytes flags 0 -> EINVAL");
  EXPECT_EQ(out[9], "dma write nic0 pasid 1 0x100000 -> unsupported_request");
  EXPECT_EQ(out[10], "dma write nic0 pasid 1 0x2000 -> ok");
}

TEST(ScenarioCalls, AllowedIovasBoundAutomaticMapsAndConflictWithReservedRanges) {
  const auto out = run_steps(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "allow_iovas", "ioas": "a", "ranges": [{"start": "0x200000", "last": "0x203fff"}]},
    {"do": "map", "ioas": "a", "length": "8KiB", "name": "x"},
    {"do": "map", "ioas": "a", "length": "16KiB", "expect": "ENOSPC"},
    {"do": "map", "ioas": "a", "iova": "0x400000", "length": "4KiB"},
    {"do": "allow_iovas", "ioas": "a", "ranges": [{"start": "0xfee00000", "last": "0xfee00fff"}],
     "expect": "EADDRINUSE"},
    {"do": "allow_iovas", "ioas": "a",
     "ranges": [{"start": "0x1000", "last": "0x2fff"}, {"start": "0x2000", "last": "0x3fff"}],
     "expect": "EINVAL"},
    {"do": "allow_iovas", "ioas": "a", "ranges": []},
    {"do": "map", "ioas": "a", "length": "16KiB", "name": "y"}])"));
  ASSERT_EQ(out.size(), 9u) << out.front();
  EXPECT_EQ(out[1], "allow_iovas a [0x200000-0x203fff] -> ok");
  EXPECT_EQ(out[2], "map a 0x2000 bytes rw anywhere -> 0x200000 (x) -> ok");
  EXPECT_EQ(out[3].substr(0, out[3].find(':')), "map a 0x4000 bytes rw anywhere -> ENOSPC");
  // Fixed maps are not bound by the list (iopt_check_iova does not look).
  EXPECT_EQ(out[4], "map a 0x400000+0x1000 rw -> ok");
  EXPECT_EQ(out[8], "map a 0x4000 bytes rw anywhere -> 0x1000 (y) -> ok");
}

TEST(ScenarioCalls, HwptAllocationFlagsAndDataTypesWithTheirLengths) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "ram"},
    {"do": "map", "ioas": "ram", "iova": "0x0", "length": "16MiB"},
    {"do": "hwpt_alloc", "name": "p", "context": "vmm", "label": "nic", "ioas": "ram",
     "flags": ["0x100"], "expect": "EOPNOTSUPP"},
    {"do": "hwpt_alloc", "name": "f", "context": "vmm", "label": "nic", "ioas": "ram",
     "flags": ["fault_id_valid"], "expect": "ENOENT"},
    {"do": "hwpt_alloc", "name": "d", "context": "vmm", "label": "nic", "ioas": "ram",
     "data_type": "vtd_s1", "expect": "EOPNOTSUPP"},
    {"do": "hwpt_alloc", "name": "s2", "context": "vmm", "label": "nic", "ioas": "ram",
     "flags": ["nest_parent"]},
    {"do": "guest_table", "name": "pt", "ioas": "ram", "base": "0x800000"},
    {"do": "hwpt_alloc_nested", "name": "short", "context": "vmm", "label": "nic", "parent": "s2",
     "table": "pt", "data_len": 16, "expect": "EINVAL"},
    {"do": "hwpt_alloc_nested", "name": "smmu", "context": "vmm", "label": "nic", "parent": "s2",
     "table": "pt", "data_type": "arm_smmuv3", "expect": "EOPNOTSUPP"},
    {"do": "hwpt_alloc_nested", "name": "long", "context": "vmm", "label": "nic", "parent": "s2",
     "table": "pt", "data_len": 32},
    {"do": "hwpt_alloc_nested", "name": "s1", "context": "vmm", "label": "nic", "parent": "s2",
     "table": "pt"}])")));
  ASSERT_EQ(out.size(), 13u) << out.front();
  for (std::size_t i : {4u, 5u, 6u, 9u, 10u}) {
    EXPECT_NE(out[i].find("-> E"), std::string::npos) << out[i];
  }
  EXPECT_EQ(out[9].substr(0, out[9].find(':')),
            "hwpt_alloc_nested short on s2 with pt for vmm/nic (flags 0, data type 1, 16 bytes) "
            "-> EINVAL");
  EXPECT_EQ(out[11],
            "hwpt_alloc_nested long on s2 with pt for vmm/nic (flags 0, data type 1, 32 bytes) "
            "-> ok");
  EXPECT_EQ(out[12], "hwpt_alloc_nested s1 on s2 with pt for vmm/nic -> ok");
}

TEST(ScenarioCalls, AnInvalidationArrayStopsAtItsFirstBadEntryAndSaysHowManyItHandled) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "ram"},
    {"do": "map", "ioas": "ram", "iova": "0x0", "length": "16MiB"},
    {"do": "hwpt_alloc", "name": "s2", "context": "vmm", "label": "nic", "ioas": "ram",
     "nest_parent": true},
    {"do": "guest_table", "name": "pt", "ioas": "ram", "base": "0x800000"},
    {"do": "guest_map", "table": "pt", "iova": "0x100000", "gpa": "0x10000", "length": "64KiB"},
    {"do": "hwpt_alloc_nested", "name": "s1", "context": "vmm", "label": "nic", "parent": "s2",
     "table": "pt"},
    {"do": "attach", "context": "vmm", "label": "nic", "to": "s1"},
    {"do": "dma", "device": "nic0", "iova": "0x100000"},
    {"do": "dma", "device": "nic0", "iova": "0x102000"},
    {"do": "guest_unmap", "table": "pt", "iova": "0x100000", "length": "4KiB"},
    {"do": "guest_unmap", "table": "pt", "iova": "0x102000", "length": "4KiB"},
    {"do": "invalidate", "context": "vmm", "hwpt": "s1", "processed": 1, "expect": "EOPNOTSUPP",
     "entries": [{"addr": "0x100000", "npages": 1, "flags": ["leaf"]},
                 {"addr": "0x102000", "npages": 1, "flags": ["0x2"]}]},
    {"do": "dma", "device": "nic0", "iova": "0x100000", "expect": "unsupported_request"},
    {"do": "dma", "device": "nic0", "iova": "0x102000"},
    {"do": "invalidate", "context": "vmm", "hwpt": "s1", "processed": 2,
     "entries": [{"addr": "0x102000", "npages": 1}, {}]},
    {"do": "dma", "device": "nic0", "iova": "0x102000", "expect": "unsupported_request"},
    {"do": "invalidate", "context": "vmm", "hwpt": "s1", "processed": 0, "expect": "EINVAL",
     "entries": [{"addr": "0x100800", "npages": 1}]},
    {"do": "invalidate", "context": "vmm", "hwpt": "s1", "processed": 5, "expect": "any",
     "entries": [{"addr": "0x100000", "npages": 1}]}])")));
  ASSERT_EQ(out.size(), 20u) << out.front();
  EXPECT_EQ(out[13].substr(0, out[13].find(':')),
            "invalidate s1 [0x100000 x1 leaf, 0x102000 x1], processed 1 -> EOPNOTSUPP");
  // Only the first entry took effect.
  EXPECT_EQ(out[14], "dma read nic0 pasid 1 0x100000 -> unsupported_request");
  EXPECT_EQ(out[15], "dma read nic0 pasid 1 0x102000 -> ok");
  EXPECT_EQ(out[16], "invalidate s1 [0x102000 x1, all], processed 2 -> ok");
  EXPECT_EQ(out[19],
            "invalidate s1 [0x100000 x1], processed 1 -> processed 1 entries, expected 5 (ok)");
}

TEST(ScenarioCalls, AnAttachToAnIoasNamesItsAutomaticHwpt) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "attach", "context": "vmm", "label": "nic", "to": "a", "name": "auto"},
    {"do": "hwpt_destroy", "hwpt": "auto", "expect": "EBUSY"},
    {"do": "detach", "context": "vmm", "label": "nic"},
    {"do": "hwpt_destroy", "hwpt": "auto", "expect": "ENOENT"}])")));
  ASSERT_EQ(out.size(), 7u) << out.front();
  EXPECT_EQ(out[3], "attach vmm/nic pasid 1 -> a (hwpt auto) -> ok");
  EXPECT_EQ(out[4].substr(0, out[4].find(':')), "hwpt_destroy auto -> EBUSY");
  EXPECT_EQ(out[6].substr(0, out[6].find(':')), "hwpt_destroy auto -> ENOENT");
}

TEST(ScenarioCalls, ClosingAContextDestroysItsObjectsWhichOthersNeverSee) {
  const auto out = run_steps(bound(nlohmann::json::parse(R"([
    {"do": "open", "context": "other"},
    {"do": "ioas_alloc", "name": "mine", "context": "vmm"},
    {"do": "map", "ioas": "mine", "iova": "0x100000", "length": "4KiB"},
    {"do": "hwpt_alloc", "name": "h", "context": "vmm", "label": "nic", "ioas": "mine"},
    {"do": "attach", "context": "vmm", "label": "nic", "to": "h"},
    {"do": "dma", "device": "nic0", "iova": "0x100000"},
    {"do": "close", "context": "vmm"},
    {"do": "dma", "device": "nic0", "iova": "0x100000", "expect": "unsupported_request"},
    {"do": "hwpt_destroy", "hwpt": "h", "expect": "ENOENT"},
    {"do": "ioas_destroy", "ioas": "mine", "expect": "ENOENT"},
    {"do": "bind", "context": "other", "device": "nic0", "label": "n"},
    {"do": "ioas_alloc", "name": "theirs", "context": "vmm", "expect": "EBADF"}])")));
  ASSERT_EQ(out.size(), 14u) << out.front();
  EXPECT_EQ(out[3], "ioas_alloc mine (first_level, 4 levels) owned by vmm -> ok");
  EXPECT_EQ(out[8], "close vmm -> ok");
  EXPECT_EQ(out[10].substr(0, out[10].find(':')), "hwpt_destroy h -> ENOENT");
  EXPECT_EQ(out[11].substr(0, out[11].find(':')), "ioas_destroy mine -> ENOENT");
  EXPECT_EQ(out[12], "bind nic0 as other/n -> ok");
}

TEST(ScenarioCalls, FlagAndTypeNamesAreCheckedBeforeAnythingRuns) {
  const auto errors = check(nlohmann::json::parse(R"([
    {"do": "ioas_alloc", "name": "a"},
    {"do": "map", "ioas": "a", "length": "4KiB", "flags": ["sticky"]},
    {"do": "map", "ioas": "a", "length": "4KiB", "flags": ["readable"], "writable": false},
    {"do": "hwpt_alloc", "name": "h", "context": "c", "label": "n", "ioas": "a",
     "data_type": "vtd_s2"}])"));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].to_string(),
            "steps[1].flags: \"sticky\" is neither fixed_iova, writeable, readable, nor a number "
            "below 2^32");
  EXPECT_EQ(errors[1].to_string(),
            "steps[2].writable: say writeable among the flags instead; a map step with flags "
            "takes no writable");
  EXPECT_EQ(errors[2].to_string(),
            "steps[3].data_type: \"vtd_s2\" is neither none, vtd_s1, arm_smmuv3, nor a number "
            "below 2^32");
  EXPECT_EQ(errors[3].to_string(),
            "steps[3].context: no context named \"c\" is created before this step");
}

}  // namespace
}  // namespace iommu_sim::test
