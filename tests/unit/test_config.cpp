// Bad input gives an error naming the field and the reason, and changes
// nothing (the output config keeps its defaults).
#include <gtest/gtest.h>

#include "model/platform/platform_config.h"

namespace iommu_sim {
namespace {

using nlohmann::json;

std::vector<ConfigError> load(const json& j) {
  PlatformConfig c;
  c.seed = 777;
  auto errors = load_config(j, c);
  if (!errors.empty()) {
    EXPECT_EQ(c.seed, 777u) << "a failed load changed the output";
  }
  return errors;
}

void expect_error(const json& j, const std::string& path, const std::string& reason_part) {
  auto errors = load(j);
  ASSERT_FALSE(errors.empty()) << j.dump();
  bool found = false;
  for (const auto& e : errors) {
    found = found || (e.path == path && e.reason.find(reason_part) != std::string::npos);
  }
  EXPECT_TRUE(found) << "expected '" << path << ": ..." << reason_part
                     << "...' in: " << errors.front().to_string();
}

TEST(Config, EmptyObjectIsTheDefaultPlatform) {
  PlatformConfig c;
  EXPECT_TRUE(load_config(json::object(), c).empty());
  EXPECT_EQ(c.iommu.iotlb.sets * c.iommu.iotlb.ways, 64u);
  EXPECT_EQ(c.workloads.at(0).span, 1u << 20);
  EXPECT_EQ(c.workloads.at(0).size, 64u);
}

TEST(Config, ValuesAreRead) {
  PlatformConfig c;
  auto errors = load_config(
      json{{"seed", 9},
           {"iommu", {{"iotlb", {{"sets", 32}, {"ways", 8}}}}},
           {"workloads", {{{"device", "nic0"}, {"span", "2MiB"}, {"base", "0x100000"}}}}},
      c);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string();
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.iommu.iotlb.sets, 32u);
  EXPECT_EQ(c.iommu.iotlb.ways, 8u);
  EXPECT_EQ(c.workloads.at(0).span, 2u << 20);
}

TEST(Config, UnknownKeyIsNamed) {
  expect_error(json{{"iommu", {{"iotlb", {{"setz", 4}}}}}}, "iommu.iotlb.setz",
               "unknown parameter");
  expect_error(json{{"bogus", 1}}, "bogus", "unknown parameter");
}

TEST(Config, AnEmptyKeyIsNamedInThePath) {
  // The empty key's error had no path (": unknown parameter"). Found by
  // fuzz_config (docs/fuzzing.md).
  expect_error(json{{"", 1}}, "\"\"", "unknown parameter");
  expect_error(json{{"iommu", {{"iotlb", {{"", 1}}}}}}, "iommu.iotlb.\"\"", "unknown parameter");
}

TEST(Config, WrongTypeIsNamed) {
  expect_error(json{{"memory", {{"latency_ns", "fast"}}}}, "memory.latency_ns", "must be a number");
  expect_error(json{{"iommu", {{"iotlb", {{"enabled", 1}}}}}}, "iommu.iotlb.enabled",
               "true or false");
  expect_error(json{{"workloads", json::object()}}, "workloads", "must be an array");
  expect_error(json{{"iommu", 3}}, "iommu", "must be a JSON object");
}

TEST(Config, OutOfRangeAndNotPowerOfTwo) {
  expect_error(json{{"iommu", {{"iotlb", {{"sets", 12}}}}}}, "iommu.iotlb.sets", "power of two");
  expect_error(json{{"iommu", {{"iotlb", {{"ways", 0}}}}}}, "iommu.iotlb.ways",
               "between 1 and 16384");
  expect_error(json{{"memory", {{"bandwidth_gbps", -1}}}}, "memory.bandwidth_gbps", "between");
  expect_error(json{{"workloads", {{{"device", "nic0"}, {"write_fraction", 1.5}}}}},
               "workloads[0].write_fraction", "between 0 and 1");
  expect_error(json{{"workloads", {{{"device", "nic0"}, {"span", "1XiB"}}}}}, "workloads[0].span",
               "unsigned integer");
}

TEST(Config, BadChoiceListsTheChoices) {
  expect_error(json{{"mode", "fast"}}, "mode", "must be one of timed, functional");
  expect_error(json{{"workloads", {{{"device", "nic0"}, {"pattern", "zipf"}}}}},
               "workloads[0].pattern", "sequential, random");
}

TEST(Config, CrossReferencesAreChecked) {
  expect_error(json{{"workloads", {{{"device", "gpu9"}}}}}, "workloads[0].device",
               "no endpoint named \"gpu9\"");
  expect_error(json{{"attach", {{{"device", "nic0"}, {"ioas", "nope"}}}}}, "attach[0].ioas",
               "no address space named \"nope\"");
  expect_error(json{{"pcie", {{"endpoints", {{{"name", "a"}}, {{"name", "a"}}}}}},
                    {"attach", json::array()},
                    {"workloads", json::array()}},
               "pcie.endpoints[1].name", "duplicate");
  expect_error(
      json{{"address_spaces",
            {{{"name", "x"},
              {"mappings",
               {{{"iova", 0x1000}, {"size", 0x2000}}, {{"iova", 0x2000}, {"size", 0x1000}}}}}}},
           {"attach", json::array()}},
      "address_spaces[0].mappings[1]", "overlaps");
  expect_error(json{{"address_spaces", {{{"name", "x"}, {"mappings", {{{"iova", 0x1001}}}}}}},
                    {"attach", json::array()}},
               "address_spaces[0].mappings[0].iova", "4 KiB aligned");
  expect_error(json{{"workloads", {{{"device", "nic0"}, {"base", 0x100020}}}}}, "workloads[0].base",
               "multiple of size");
}

TEST(Config, MemoryMustLieBelowTheHostAddressWidth) {
  expect_error(json{{"memory", {{"address_bits", 47}}}}, "memory.address_bits",
               "memory of 47 address bits reaches above the IOMMU's host address width "
               "(iommu.host_address_width 46)");
}

TEST(Config, HostRegionsMustFitInMemoryAndNotOverlap) {
  expect_error(json{{"memory", {{"address_bits", 32}}}}, "host.table_region",
               "needs 1 GiB below 2^memory.address_bits");
  expect_error(json{{"host", {{"table_region", "0x200000000"}}}}, "host.table_region",
               "overlaps the data region");
  expect_error(json{{"memory", {{"address_bits", 34}}},
                    {"host", {{"table_region", "0x40000000"}, {"data_region", "0x3ff00000"}}},
                    {"address_spaces", {{{"name", "as0"}, {"mappings", {{{"size", "2MiB"}}}}}}}},
               "host.table_region", "overlaps");
  expect_error(json{{"address_spaces", {{{"name", "as0"}, {"mappings", {{{"size", "128GiB"}}}}}}}},
               "address_spaces[0].mappings[0].size", "between 4096 and");
}

TEST(Config, TranslationModesAreCheckedAgainstTheIommu) {
  const json none = json::array();
  expect_error(
      json{{"address_spaces", {{{"name", "a"}, {"translation", "third_level"}}}}, {"attach", none}},
      "address_spaces[0].translation", "one of");
  expect_error(json{{"address_spaces", {{{"name", "a"}, {"levels", 5}}}}},
               "address_spaces[0].levels", "iommu.address_width is 48");
  expect_error(json{{"address_spaces", {{{"name", "a"}, {"levels", 3}}}}},
               "address_spaces[0].levels", "first-level tables have 4 or 5 levels");
  expect_error(json{{"address_spaces", {{{"name", "a"}, {"page_size", "8KiB"}}}}},
               "address_spaces[0].page_size", "4KiB, 2MiB or 1GiB");
  expect_error(json{{"address_spaces", {{{"name", "a"}, {"parent", "b"}}}}},
               "address_spaces[0].parent", "nested address spaces only");
  expect_error(
      json{{"address_spaces", {{{"name", "a"}, {"translation", "nested"}, {"parent", "b"}}}},
           {"attach", none}},
      "address_spaces[0].parent", "not an address space defined before");
  expect_error(
      json{{"address_spaces",
            {{{"name", "g"}}, {{"name", "a"}, {"translation", "nested"}, {"parent", "g"}}}},
           {"attach", none}},
      "address_spaces[1].parent", "is not second_level");
  expect_error(
      json{{"address_spaces",
            {{{"name", "g"}, {"translation", "second_level"}, {"mappings", {{{"size", "1MiB"}}}}},
             {{"name", "a"},
              {"translation", "nested"},
              {"parent", "g"},
              {"mappings", {{{"size", "1MiB"}}}}}}},
           {"attach", none}},
      "address_spaces[0].mappings[0].size", "too small for the nested address spaces");
  expect_error(json{{"address_spaces",
                     {{{"name", "a"},
                       {"translation", "second_level"},
                       {"levels", 3},
                       {"mappings", {{{"iova", "0x8000000000"}}}}}}}},
               "address_spaces[0].mappings[0]", "39-bit IOVA space");
}

TEST(Config, MappingsStayOutOfTheInterruptWindow) {
  expect_error(
      json{{"address_spaces",
            {{{"name", "a"}, {"mappings", {{{"iova", "0xFEDFF000"}, {"size", "8KiB"}}}}}}}},
      "address_spaces[0].mappings[0]", "interrupt window 0xFEE00000-0xFEEFFFFF");
}

TEST(Config, TreePlruNeedsPowerOfTwoWays) {
  expect_error(json{{"iommu", {{"iotlb", {{"ways", 3}, {"replacement", "tree_plru"}}}}}},
               "iommu.iotlb.replacement", "power-of-two number of ways (got 3)");
  expect_error(json{{"iommu", {{"sl_psc", {{"pd", {{"replacement", "fifo"}}}}}}}},
               "iommu.sl_psc.pd.replacement", "one of");
  // A device's ATC is a cache like the others.
  expect_error(
      json{{"pcie",
            {{"endpoints",
              {{{"name", "nic0"},
                {"ats",
                 {{"enabled", true}, {"atc", {{"ways", 6}, {"replacement", "tree_plru"}}}}}}}}}}},
      "pcie.endpoints[0].ats.atc.replacement", "power-of-two number of ways (got 6)");
}

TEST(Config, BugKnobsNameTheBugsTheyModel) {
  expect_error(json{{"host", {{"bug", "forgot_everything"}}}}, "host.bug", "one of");
  expect_error(json{{"iommu", {{"bug", "no_wait_after_invalidation"}}}}, "iommu.bug", "one of");
  expect_error(
      json{{"pcie", {{"endpoints", {{{"name", "nic0"}, {"ats", {{"bug", "late_completion"}}}}}}}}},
      "pcie.endpoints[0].ats.bug", "one of");
  expect_error(
      json{{"pcie",
            {{"endpoints",
              {{{"name", "nic0"}, {"ats", {{"bug", "invalidation_completes_before_dmas"}}}}}}}}},
      "pcie.endpoints[0].ats.bug", "needs ats.enabled");
}

TEST(Config, TheAcsBugKnobNeedsADownstreamPortThatRedirects) {
  expect_error(json{{"pcie", {{"ports", {{{"name", "rp0"}, {"bug", "acs_rr_not_enforced"}}}}}}},
               "pcie.ports[0].bug", "models a switch downstream port");
  expect_error(json{{"pcie",
                     {{"ports",
                       {{{"name", "rp0"}},
                        {{"name", "sw"}, {"kind", "switch_upstream"}, {"parent", "rp0"}},
                        {{"name", "d0"},
                         {"kind", "downstream_port"},
                         {"parent", "sw"},
                         {"bug", "acs_rr_not_enforced"}}}}}}},
               "pcie.ports[2].bug", "needs rr in acs_control");
  expect_error(json{{"pcie", {{"ports", {{{"name", "rp0"}, {"bug", "leaky"}}}}}}},
               "pcie.ports[0].bug", "one of");
}

TEST(Config, MemoryChannelsAndInterleaveAreChecked) {
  expect_error(json{{"memory", {{"channels", 0}}}}, "memory.channels", "between 1 and 64");
  expect_error(json{{"memory", {{"channels", 65}}}}, "memory.channels", "between 1 and 64");
  expect_error(json{{"memory", {{"interleave_bytes", 3000}}}}, "memory.interleave_bytes",
               "power of two");
  expect_error(json{{"memory", {{"interleave_bytes", 32}}}}, "memory.interleave_bytes", "between");
}

TEST(Config, SizeStringsParse) {
  EXPECT_EQ(parse_u64("4KiB"), 4096u);
  EXPECT_EQ(parse_u64("0x10"), 16u);
  EXPECT_EQ(parse_u64("3GiB"), 3ull << 30);
  EXPECT_FALSE(parse_u64("").has_value());
  EXPECT_FALSE(parse_u64("12 MiB").has_value());
  EXPECT_FALSE(parse_u64("99999999999TiB").has_value());
}

}  // namespace
}  // namespace iommu_sim

namespace iommu_sim {
namespace {

TEST(Config, BadLinkParametersAreRefusedWithTheFieldNamed) {
  const auto endpoint_link = [](json link) {
    return json{{"pcie", {{"endpoints", {{{"name", "nic0"}, {"link", std::move(link)}}}}}}};
  };
  expect_error(endpoint_link({{"gen", 7}}), "pcie.endpoints[0].link.gen", "between 1 and 5");
  expect_error(endpoint_link({{"width", 3}}), "pcie.endpoints[0].link.width", "power of two");
  expect_error(endpoint_link({{"width", 32}}), "pcie.endpoints[0].link.width", "between 1 and 16");
  expect_error(endpoint_link({{"mps", 96}}), "pcie.endpoints[0].link.mps", "between 128 and 4096");
  expect_error(endpoint_link({{"mrrs", 384}}), "pcie.endpoints[0].link.mrrs", "power of two");
  expect_error(endpoint_link({{"rcb", 256}}), "pcie.endpoints[0].link.rcb", "between 64 and 128");
  expect_error(json{{"pcie", {{"link_model", "ideal"}}}}, "pcie.link_model",
               "must be one of bandwidth, latency");
  // A root port's link is the one its endpoint declares; MRRS belongs to
  // the requester.
  const json ports = {
      {{"name", "rp0"}, {"link", {{"width", 16}}}},
      {{"name", "sw"}, {"kind", "switch_upstream"}, {"parent", "rp0"}, {"link", {{"mrrs", 1024}}}}};
  expect_error(json{{"pcie", {{"ports", ports}}}}, "pcie.ports[0].link", "no link of its own");
  expect_error(json{{"pcie", {{"ports", ports}}}}, "pcie.ports[1].link.mrrs",
               "only endpoints issue read requests");
  expect_error(
      json{{"pcie",
            {{"endpoints",
              {{{"name", "nic0"}, {"kind", "rc_integrated"}, {"link", {{"width", 4}}}}}}}}},
      "pcie.endpoints[0].link", "no PCIe link of its own");
}

}  // namespace
}  // namespace iommu_sim
