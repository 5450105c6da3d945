// Every class of bad input the command line can be given ends in a clear
// error naming the field or option and exit 2, before anything runs: JSON
// the parser refuses (overflow, nesting, duplicate keys), files that are not
// readable regular files, numbers out of the config's range on the command
// line, port trees with cycles, sweeps too large to expand, scenario fields
// of the wrong type or size, and set-ups larger than the machine.
#include <gtest/gtest.h>

#include <string>

#include "apps/resource_check.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim {
namespace {

using test::run_command;
using test::write_temp;

void expect_refused(const test::CommandResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("uncaught exception"), std::string::npos) << r.output;
}

TEST(BadInputCli, JsonTheParserRefuses) {
  expect_refused(run_command("--config " + write_temp("overflow.json", R"({"seed": -1e999})")),
                 "number overflow parsing '-1e999'");
  expect_refused(run_command("--config " + write_temp("deep.json", std::string(100000, '[') +
                                                                       std::string(100000, ']'))),
                 "nested deeper than 64 levels");
  expect_refused(run_command("--config " + write_temp("twice.json",
                                                      R"({"iommu": {"lookup_latency_ns": 3,
                                                          "lookup_latency_ns": 4}})")),
                 "iommu.lookup_latency_ns: key given twice");
}

TEST(BadInputCli, FilesThatAreNotReadable) {
  const std::string dir = test::temp_dir().string();
  // CLI11 refuses a directory named on the command line; a file named inside
  // a sweep or scenario is read by the simulator itself.
  expect_refused(run_command("--config " + dir), "--config: File is actually a directory");
  const auto sweep = write_temp("dir_base.json", R"({"base": ".", "sweep": {"seed": [1, 2]}})");
  expect_refused(run_command("sweep " + sweep),
                 "base: cannot read " + dir + "/.: it is a directory");
  const auto scenario = write_temp("dir_platform.json",
                                   R"({"platform": ".", "steps": [{"do": "open", "name": "c"}]})");
  expect_refused(run_command("run " + scenario),
                 "platform: cannot read " + dir + "/.: it is a directory");
  expect_refused(run_command("--config /proc/self/mem"),
                 "--config: cannot read /proc/self/mem: Input/output error");
}

TEST(BadInputCli, CommandLineNumbersHaveTheConfigsRanges) {
  expect_refused(run_command("--seed -1"), "--seed: must be an unsigned integer");
  expect_refused(run_command("--seed 18446744073709551616"),
                 "--seed: does not fit in 64 bits (got \"18446744073709551616\")");
  expect_refused(run_command("--seed 1000000000000000001"),
                 "--seed: must be between 0 and 1e+18 (got 1000000000000000001)");
  const auto trace = write_temp("seed_trace.csv", "time_ns,device,pasid,address,size,write\n");
  expect_refused(run_command("replay " + trace + " --seed -5"),
                 "--seed: must be an unsigned integer");
  expect_refused(run_command("explain --address 0x1000 --pasid 1048576"),
                 "--pasid: must be between 0 and 1048575 (got 1048576)");
  expect_refused(run_command("explain --address -1"), "--address: must be an unsigned integer");
  expect_refused(run_command("explain --address 0x1000 --size 0"),
                 "--size: must be between 1 and 4096 (got 0)");
}

TEST(BadInputCli, RangeMessagesPrintExactValues) {
  const auto r = run_command("--config " +
                             write_temp("sets.json", R"({"iommu": {"iotlb": {"sets": 1048577}}})"));
  expect_refused(r, "iommu.iotlb.sets: must be between 1 and 1048576 (got 1048577)");
  const auto w = run_command(
      "--config " +
      write_temp("fraction.json",
                 R"({"workloads": [{"device": "nic0", "write_fraction": 1.0000001}]})"));
  expect_refused(w, "workloads[0].write_fraction: must be between 0 and 1 (got 1.0000001)");
}

TEST(BadInputCli, PortCyclesAreRefused) {
  const auto cycle = write_temp("cycle.json", R"({"pcie": {
      "ports": [{"name": "up", "kind": "switch_upstream", "parent": "dn"},
                {"name": "dn", "kind": "downstream_port", "parent": "up"}],
      "endpoints": [{"name": "nic0"}]}})");
  expect_refused(run_command("topo --config " + cycle),
                 "pcie.ports[0].parent: forms a cycle: up -> dn -> up");
}

TEST(BadInputCli, SweepsTooLargeOrMalformed) {
  // 2^70 points: the product would wrap a 64-bit count.
  std::string values = "[1";
  for (int i = 2; i <= 1024; ++i) values.append(",").append(std::to_string(i));
  values += "]";
  // Seven distinct keys (the same path with 0 to 6 trailing spaces, which
  // would be refused as paths only if the size were accepted).
  std::string axes;
  std::string pad;
  for (int a = 0; a < 7; ++a, pad += ' ') {
    if (a != 0) axes += ",";
    axes += "\"workloads[0].count" + pad + "\": " + values;
  }
  const auto huge = write_temp("huge_sweep.json", "{\"sweep\": {" + axes + "}}");
  expect_refused(run_command("sweep " + huge),
                 "sweep: has more than 100000 points (1024 x 1024 x 1024 x 1024 x 1024 x 1024 x "
                 "1024 values)");
  const auto index = write_temp(
      "index_sweep.json", R"({"sweep": {"workloads[99999999999999999999999].count": [1, 2]}})");
  expect_refused(run_command("sweep " + index),
                 "list index 99999999999999999999999 is beyond the list");
}

TEST(BadInputCli, ScenarioFieldsOfTheWrongTypeOrSize) {
  const auto oracle =
      write_temp("oracle_scenario.json",
                 R"({"platform": {"oracle": 5}, "steps": [{"do": "open", "name": "c"}]})");
  expect_refused(run_command("run " + oracle), "platform.oracle: must be a JSON object");
  // The config path caps one mapping at 64 GiB; a scenario's map step too.
  const auto map = write_temp("map_scenario.json", R"({"steps": [
      {"do": "open", "name": "c"},
      {"do": "map", "ioas": "as0", "iova": "0x100000000", "length": "64TiB"}]})");
  expect_refused(run_command("run " + map),
                 "steps[1].length: must be between 0 and 68719476736 (got 70368744177664)");
}

TEST(BadInputCli, SetUpsLargerThanTheMachineAreRefused) {
  // 4,000 mappings of 64 GiB in 4 KiB pages: about 600 GB of page tables.
  std::string mappings;
  for (int i = 0; i < 4000; ++i) {
    mappings += std::string(i ? "," : "") +
                "{\"iova\": " + std::to_string((static_cast<std::uint64_t>(i) + 1) << 36) +
                ", \"size\": \"64GiB\"}";
  }
  const auto big = write_temp(
      "big_setup.json",
      R"({"memory": {"address_bits": 52}, "iommu": {"address_width": 57, "host_address_width": 52}, "address_spaces": [{"name": "as0", "levels": 5, "mappings": [)" +
          mappings + "]}]}");
  ASSERT_LT(machine_memory_bytes(), 600e9) << "this test needs a machine below 600 GB";
  expect_refused(run_command("--config " + big + " --quiet"),
                 "address_spaces[0].mappings[0].size: the set-up needs about 604.0 GB of host "
                 "memory");
}

}  // namespace
}  // namespace iommu_sim
