// --set PATH=VALUE on run, replay's base, sweep, explain and scenario
// runs: the same value through --set or through the file gives the same
// stats.json; a bad path or value fails with exit 2, naming the path, and
// runs nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/config_overrides.h"
#include "tests/support/cli.h"
#include "tests/support/files.h"

namespace iommu_sim::test {
namespace {

TEST(SetOverrides, ValuesReadAsJsonOrElseAsText) {
  ConfigOverride o;
  ASSERT_FALSE(parse_override("iommu.iotlb.ways=8", o));
  EXPECT_EQ(o.path, "iommu.iotlb.ways");
  EXPECT_EQ(o.value, nlohmann::json(8));
  ASSERT_FALSE(parse_override("mode=functional", o));
  EXPECT_EQ(o.value, nlohmann::json("functional"));
  ASSERT_FALSE(parse_override("workloads[0].span=16MiB", o));
  EXPECT_EQ(o.value, nlohmann::json("16MiB"));
  ASSERT_FALSE(parse_override("oracle.enabled=true", o));
  EXPECT_EQ(o.value, nlohmann::json(true));
  ASSERT_FALSE(parse_override("description=\"a=b\"", o));
  EXPECT_EQ(o.path, "description");
  EXPECT_EQ(o.value, nlohmann::json("a=b"));
  EXPECT_EQ(parse_override("=4", o).value_or(""),
            "expected PATH=VALUE (a parameter path of docs/parameters.md), got \"=4\"");
  EXPECT_TRUE(parse_override("iommu.iotlb.ways", o));
}

TEST(SetOverrides, TheSameValueByFileOrBySetGivesTheSameStatsJson) {
  const std::string dir = ::testing::TempDir() + "iommu_sim_set";
  std::filesystem::remove_all(dir);
  const std::string file = write_temp("iommu_sim_set_config.json", R"({
    "iommu": {"iotlb": {"sets": 4, "ways": 2}},
    "workloads": [{"name": "wl0", "device": "nic0", "base": "0x100000", "span": "1MiB",
                   "count": 3000, "size": 64, "pattern": "random"}]})");
  const CommandResult by_file = run_command("--config " + file + " --quiet --out " + dir + "/f");
  ASSERT_EQ(by_file.exit_code, 0) << by_file.output;
  // The default config's one workload, addressed as a list element.
  const CommandResult by_set =
      run_command("--quiet --out " + dir +
                  "/s --set workloads[0].name=wl0 --set iommu.iotlb.sets=4 --set "
                  "iommu.iotlb.ways=2 --set workloads[0].count=3000 "
                  "--set workloads[0].pattern=random");
  ASSERT_EQ(by_set.exit_code, 0) << by_set.output;
  const std::string a = read_file(dir + "/f/stats.json"), b = read_file(dir + "/s/stats.json");
  ASSERT_FALSE(a.empty());
  // Only the file's own path (config.source) may differ.
  nlohmann::json ja = nlohmann::json::parse(a), jb = nlohmann::json::parse(b);
  EXPECT_EQ(ja.at("stats"), jb.at("stats"));
  EXPECT_EQ(ja.at("config").at("iommu"), jb.at("config").at("iommu"));
  EXPECT_EQ(ja.at("config").at("workloads"), jb.at("config").at("workloads"));
  EXPECT_EQ(jb.at("config").at("iommu").at("iotlb").at("ways").get<int>(), 2);
}

struct BadSet {
  std::string command;
  std::string error;
};

class BadSets : public ::testing::TestWithParam<BadSet> {};

TEST_P(BadSets, ExitTwoNameThePathAndRunNothing) {
  const CommandResult r = run_command(GetParam().command);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(GetParam().error), std::string::npos) << r.output;
  // Nothing ran: no run summary, no sweep row, no step, no walk.
  for (const char* ran : {"simulated", "point,", "->", "IOTLB probe"}) {
    EXPECT_EQ(r.output.find(ran), std::string::npos) << ran << " in " << r.output;
  }
}

const std::string kSweep = IOMMU_SIM_SOURCE_DIR "/configs/sweeps/iotlb_size_random_64mib.json";
const std::string kScenario = IOMMU_SIM_SOURCE_DIR "/configs/scenarios/passthrough_to_guest.json";

INSTANTIATE_TEST_SUITE_P(
    SetOverrides, BadSets,
    ::testing::Values(BadSet{"--set iommu.iotlb.sets=3",
                             "config error: iommu.iotlb.sets: must be a power of two"},
                      BadSet{"--set iommu.iotlb.colour=red",
                             "config error: iommu.iotlb.colour: unknown parameter"},
                      BadSet{
                          "--set workloads[7].span=4096",
                          "config error: --set workloads[7].span: list index 7 is beyond the list"},
                      BadSet{"--set workloads[x].span=4096",
                             "--set workloads[x].span: malformed list index in \"workloads[x]\""},
                      BadSet{"--set mode=warp", "config error: mode: must be one of"},
                      BadSet{"--set ways", "--set: expected PATH=VALUE"},
                      BadSet{"sweep " + kSweep + " --set iommu.iotlb.ways=0",
                             "sweep error: iommu.iotlb.ways: must be between 1 and 16384 (got 0)"},
                      BadSet{"run " + kScenario + " --set iommu.iotlb.sets=3",
                             "scenario error: platform.iommu.iotlb.sets: must be a power of two"},
                      BadSet{"explain --address 0x1000 --set iommu.iotlb.sets=3",
                             "config error: iommu.iotlb.sets: must be a power of two"}),
    [](const ::testing::TestParamInfo<BadSet>& info) {
      return "case" + std::to_string(info.index);
    });

TEST(SetOverrides, ASweepsPointsStartFromTheOverriddenBase) {
  const CommandResult r =
      run_command("sweep " + kSweep + " --set workloads[0].count=2000 --set mode=functional");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string file =
      write_temp("iommu_sim_set_sweep.json", R"({
    "base": ")" + std::string(IOMMU_SIM_SOURCE_DIR) +
                                                 R"(/configs/pages_4kib_random_64mib.json",
    "sweep": {"iommu.iotlb.sets": [1, 4]},
    "stats": ["workload.wl0.completed"]})");
  const CommandResult s = run_command("sweep " + file + " --set workloads[0].count=1234");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_NE(s.output.find("0,1,1234\n1,4,1234\n"), std::string::npos) << s.output;
}

}  // namespace
}  // namespace iommu_sim::test
