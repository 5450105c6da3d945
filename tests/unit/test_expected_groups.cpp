// A config's expect_groups (pcie/expected_groups.h): the names must be the
// topology's, each once; only the named devices are compared; and topo's
// printout says which kernel era's rules formed the groups it shows.
#include <gtest/gtest.h>

#include "model/platform/platform_config.h"
#include "pcie/expected_groups.h"
#include "pcie/topology_report.h"

namespace iommu_sim {
namespace {

TEST(ExpectGroups, NamesMustBeTheTopologysOnceEach) {
  const auto errors_of = [](const char* groups) {
    PlatformConfig c;
    const auto j = nlohmann::json::parse(std::string(R"({"expect_groups": )") + groups + "}");
    std::vector<std::string> out;
    for (const auto& e : load_config(j, c)) out.push_back(e.to_string());
    return out;
  };
  EXPECT_TRUE(errors_of(R"(["nic0 nic0.rp"])").empty());
  EXPECT_EQ(errors_of(R"(["nic0", "gpu"])"),
            (std::vector<std::string>{"expect_groups[1]: no port or function named \"gpu\""}));
  EXPECT_EQ(
      errors_of(R"(["nic0", "nic0.rp nic0"])"),
      (std::vector<std::string>{"expect_groups[1]: \"nic0\" is in expect_groups[0] already"}));
  EXPECT_EQ(errors_of(R"(["  "])"),
            (std::vector<std::string>{"expect_groups[0]: names no device"}));
}

TEST(ExpectGroups, OnlyTheNamedDevicesAreCompared) {
  PlatformConfig c;
  ASSERT_TRUE(load_config(nlohmann::json::parse(R"({"pcie": {"grouping": "legacy",
      "ports": [{"name": "rp", "kind": "root_port"}],
      "endpoints": [{"name": "gpu", "parent": "rp", "functions": 2}, {"name": "host",
                     "kind": "rc_integrated", "devfn": "00.0"}]},
      "attach": [], "workloads": []})"),
                          c)
                  .empty());
  Topology t;
  ASSERT_TRUE(build_topology(c.pcie, t).empty());
  // host is in no listed group: left out of the comparison.
  auto same = compare_expected_groups(t, split_expected_groups({"rp gpu.0 gpu.1"}));
  EXPECT_EQ(same.listed, 1u);
  EXPECT_TRUE(same.differences.empty());
  auto split = compare_expected_groups(t, split_expected_groups({"rp", "gpu.0", "gpu.1 host"}));
  EXPECT_EQ(split.reproduced(), 0u);
  EXPECT_EQ(split.differences,
            (std::vector<std::string>{"listed rp; computed rp gpu.0 gpu.1",
                                      "listed gpu.0; computed rp gpu.0 gpu.1",
                                      "listed gpu.1 host; computed rp gpu.0 gpu.1 | host"}));
  EXPECT_EQ(expected_groups_report(split),
            "expect_groups: 0 of 3 listed groups computed as listed\n"
            "expect_groups: listed rp; computed rp gpu.0 gpu.1\n"
            "expect_groups: listed gpu.0; computed rp gpu.0 gpu.1\n"
            "expect_groups: listed gpu.1 host; computed rp gpu.0 gpu.1 | host\n");
}

TEST(ExpectGroups, TheTreeSaysWhichEraFormedTheGroups) {
  for (const char* era : {"current", "legacy"}) {
    PcieParams p;
    p.grouping = era;
    Topology t;
    ASSERT_TRUE(build_topology(p, t).empty());
    const std::string tree = topology_tree(t);
    EXPECT_EQ(tree.substr(0, tree.find('\n')),
              std::string("[0000:00] root complex (pcie.grouping ") + era + ")");
  }
}

}  // namespace
}  // namespace iommu_sim
