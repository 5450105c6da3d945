// `iommu-sim topo --import` from the command line: every shipped topology
// printed, imported and printed again is the same tree with the same groups;
// the four real machines (configs/topology/real_*.json) compute the groups
// their published listings show, and importing those listings again gives
// the shipped pcie section; bad input ends in exit status 2 with the file,
// line and reason, and nothing written; topo fails (exit 1) when a config's
// expect_groups are not what it computes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/platform/platform_config.h"
#include "pcie/expected_groups.h"
#include "pcie/lspci_import.h"
#include "tests/support/cli.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::run_command;
using test::write_temp;

// topo's printout without SystemC's banner (stderr, merged by run_command)
// and without the expect_groups lines, which only the config's
// expectations decide.
std::string tree_and_groups(const std::string& output) {
  const std::size_t start = output.find("[0000:00] root complex");
  const std::size_t end = output.find("expect_groups:");
  return start == std::string::npos ? output : output.substr(start, end - start);
}

std::vector<fs::path> shipped_topologies() {
  std::vector<fs::path> out;
  for (const auto& e :
       fs::directory_iterator(fs::path(IOMMU_SIM_SOURCE_DIR) / "configs/topology")) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(TopoImportCli, EveryShippedTopologyPrintedImportedAndPrintedAgainIsTheSame) {
  const auto configs = shipped_topologies();
  ASSERT_EQ(configs.size(), 11u);
  for (const fs::path& config : configs) {
    SCOPED_TRACE(config.filename().string());
    const auto first = run_command("topo --config " + config.string());
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const std::string printed = first.output.substr(first.output.find("[0000:00]"));
    const std::string name = config.stem().string();
    const auto printout = write_temp(name + ".topo.txt", printed);
    const auto skeleton = (test::temp_dir() / (name + ".imported.json")).string();
    const auto imported = run_command("topo --import " + printout + " --out " + skeleton);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    const auto again = run_command("topo --config " + skeleton);
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(tree_and_groups(again.output), tree_and_groups(first.output));
    // The printout's groups became the skeleton's expectations, all met.
    PlatformConfig c;
    ASSERT_TRUE(load_config(nlohmann::json::parse(read_file(skeleton)), c).empty());
    EXPECT_NE(again.output.find("expect_groups: " + std::to_string(c.expect_groups.size()) +
                                " of " + std::to_string(c.expect_groups.size()) +
                                " listed groups computed as listed\n"),
              std::string::npos)
        << again.output;
  }
}

struct RealMachine {
  const char* name;
  std::size_t listed_groups;
  const char* grouping;
};

TEST(RealMachines, ComputeTheGroupsTheirPublishedListingsShow) {
  for (const RealMachine& m : {RealMachine{"intel_ivybridge_h67", 14, "legacy"},
                               RealMachine{"lenovo_m920x_tiny", 12, "legacy"},
                               RealMachine{"minisforum_um880pro", 7, "legacy"},
                               RealMachine{"amd_granite_ridge_b850", 8, "legacy"}}) {
    SCOPED_TRACE(m.name);
    const fs::path dir = fs::path(IOMMU_SIM_SOURCE_DIR) / "configs/topology";
    const auto shipped =
        nlohmann::json::parse(read_file(dir / ("real_" + std::string(m.name) + ".json")));
    PlatformConfig c;
    const auto errors = load_config(shipped, c);
    ASSERT_TRUE(errors.empty()) << errors.front().to_string();
    EXPECT_EQ(c.pcie.grouping, m.grouping);
    Topology t;
    ASSERT_TRUE(build_topology(c.pcie, t).empty());
    const GroupComparison groups =
        compare_expected_groups(t, split_expected_groups(c.expect_groups));
    EXPECT_EQ(groups.listed, m.listed_groups);
    EXPECT_EQ(groups.differences, std::vector<std::string>{});

    // The shipped config is the import of the published listings, tidied
    // only in its description, attachment and workload.
    const fs::path listings = dir / "listings";
    ImportError error;
    const auto imported = import_topology(
        read_file(listings / (std::string(m.name) + ".lspci.txt")), "tree",
        read_file(listings / (std::string(m.name) + ".groups.txt")), "groups", error);
    ASSERT_TRUE(imported) << error.to_string();
    EXPECT_EQ(nlohmann::json::parse(imported->config["pcie"].dump()), shipped["pcie"]);
    EXPECT_EQ(nlohmann::json::parse(imported->config["expect_groups"].dump()),
              shipped["expect_groups"]);
    EXPECT_TRUE(imported->unreproduced.empty());
  }
}

TEST(TopoImportCli, BadInputExitsTwoNamingFileAndLineAndWritesNothing) {
  const auto tree = write_temp("bad_tree.txt", "-[0000:00]-+-00.0  Host\n           +-1g.0  GPU\n");
  const auto out = test::temp_dir() / "bad_tree.json";
  fs::remove(out);
  const auto r = run_command("topo --import " + tree + " --out " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("iommu-sim: import error: " + tree +
                          ":2: expected a device and function \"dd.f\" (hex, device 00-1f, "
                          "function 0-7) at column 14 (got \"1g.0  GPU\")"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".part"));

  const auto good =
      write_temp("good_tree.txt", "-[0000:00]-+-00.0  Host\n           \\-02.0  GPU\n");
  const auto groups = write_temp("bad_groups.txt", "IOMMU Group 4: 00:03.0 Audio\n");
  const auto g =
      run_command("topo --import " + good + " --groups " + groups + " --out " + out.string());
  EXPECT_EQ(g.exit_code, 2) << g.output;
  EXPECT_NE(g.output.find("iommu-sim: import error: " + groups +
                          ":1: 0000:00:03.0 is not in the "
                          "tree in " +
                          good),
            std::string::npos)
      << g.output;
  EXPECT_FALSE(fs::exists(out));

  const auto missing = run_command("topo --import " + (test::temp_dir() / "nope.txt").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("iommu-sim: --import: cannot open "), std::string::npos);
  const auto without = run_command("topo --groups " + groups);
  EXPECT_EQ(without.exit_code, 2);
  EXPECT_NE(without.output.find("--groups requires --import"), std::string::npos) << without.output;
  const auto both = run_command("topo --config " + std::string(IOMMU_SIM_SOURCE_DIR) +
                                "/configs/default.json --import " + good);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.output.find("--config excludes --import"), std::string::npos) << both.output;
}

TEST(TopoImportCli, WritesTheSkeletonAndSaysWhatItCannotReproduce) {
  const auto tree = write_temp("two_on_bus0.txt",
                               "-[0000:00]-+-00.0  Host\n           +-02.0  GPU\n"
                               "           \\-03.0  Audio\n");
  const auto groups = write_temp("two_on_bus0.groups",
                                 "IOMMU Group 0: 00:00.0\nIOMMU Group 1: 00:02.0\n"
                                 "IOMMU Group 1: 00:03.0\n");
  const auto out = (test::temp_dir() / "two_on_bus0.json").string();
  const auto r = run_command("topo --import " + tree + " --groups " + groups + " --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("iommu-sim: imported 3 functions and ports; pcie.grouping legacy "
                          "computes 1 of 2 listed groups as listed\n"
                          "iommu-sim: not reproduced: listed 00:02.0 00:03.0; computed 00:02.0 "
                          "| 00:03.0\n"),
            std::string::npos)
      << r.output;
  // topo --config on it says so too, and fails as a scenario whose
  // expectations are not met does.
  const auto topo = run_command("topo --config " + out);
  EXPECT_EQ(topo.exit_code, 1) << topo.output;
  EXPECT_NE(topo.output.find("expect_groups: 1 of 2 listed groups computed as listed\n"
                             "expect_groups: listed 00:02.0 00:03.0; computed 00:02.0 | 00:03.0\n"),
            std::string::npos)
      << topo.output;
  // Without --out the skeleton goes to stdout.
  const auto stdout_run = run_command("topo --import " + tree);
  EXPECT_EQ(stdout_run.exit_code, 0);
  EXPECT_NE(stdout_run.output.find("{ \"name\": \"00:02.0\", \"kind\": \"rc_integrated\", "
                                   "\"devfn\": \"02.0\" }"),
            std::string::npos)
      << stdout_run.output;
}

}  // namespace
}  // namespace iommu_sim
