// Parameter sweeps: every combination expands to a validated config, a bad
// value or name is reported with the point and field before anything runs,
// and the CSV (RFC 4180) holds one row per run: its point, its axis values
// in the file's order and the chosen statistics, passed on as each run ends.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/csv.h"
#include "apps/sweep.h"
#include "tests/support/cli.h"
#include "tests/support/config_errors.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim {
namespace {

using nlohmann::json;

SweepSpec parse(const json& j) {
  SweepSpec spec;
  const auto errors = parse_sweep(j, ".", spec);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
  return spec;
}

const json kSmall = {{"workloads", {{{"device", "nic0"}, {"count", 2000}, {"span", "1MiB"}}}}};

TEST(Sweep, ExpandsEveryCombinationFirstAxisSlowest) {
  const auto spec =
      parse({{"config", kSmall},
             {"sweep", {{"iommu.iotlb.sets", {1, 4}}, {"iommu.iotlb.ways", {2, 8}}}}});
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  ASSERT_EQ(points.size(), 4u);
  // nlohmann orders object keys, so the axes are iotlb.sets, iotlb.ways.
  const std::vector<std::pair<int, int>> expected{{1, 2}, {1, 8}, {4, 2}, {4, 8}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(points[i].config.iommu.iotlb.sets, expected[i].first) << i;
    EXPECT_EQ(points[i].config.iommu.iotlb.ways, expected[i].second) << i;
    EXPECT_EQ(points[i].config.workloads.at(0).count, 2000u);
  }
}

TEST(Sweep, ListElementsLeftAtTheirDefaultsCanBeSwept) {
  // The base names no workload: workloads[0] is the default one.
  const auto spec = parse({{"sweep", {{"workloads[0].span", {"4KiB", "2MiB"}}}}});
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].config.workloads.at(0).span, 2u << 20);
}

TEST(Sweep, BadPointsAreNamedAndNothingIsExpanded) {
  std::vector<SweepPoint> points;
  auto errors =
      expand_sweep(parse({{"config", kSmall}, {"sweep", {{"iommu.iotlb.sets", {1, 3}}}}}), points);
  EXPECT_TRUE(test::has_error(errors, "iommu.iotlb.sets", "point 1 (iommu.iotlb.sets=3)"))
      << errors.front().to_string();
  EXPECT_TRUE(points.empty());
  errors = expand_sweep(parse({{"sweep", {{"iommu.iotlb.setz", {1}}}}}), points);
  EXPECT_TRUE(test::has_error(errors, "iommu.iotlb.setz", "unknown parameter"))
      << errors.front().to_string();
  errors = expand_sweep(parse({{"sweep", {{"workloads[3].span", {4096}}}}}), points);
  EXPECT_TRUE(test::has_error(errors, "workloads[3].span", "beyond the list"));
  // An index no size_t holds threw std::out_of_range out of the sweep.
  // Seen while writing fuzz_sweep (docs/fuzzing.md).
  errors =
      expand_sweep(parse({{"sweep", {{"workloads[99999999999999999999].span", {4096}}}}}), points);
  EXPECT_TRUE(test::has_error(errors, "workloads[99999999999999999999].span",
                              "list index 99999999999999999999 is beyond the list"));
  errors = expand_sweep(parse({{"sweep", {{"workloads[x].span", {4096}}}}}), points);
  EXPECT_TRUE(test::has_error(errors, "workloads[x].span", "malformed list index"));
  EXPECT_TRUE(points.empty());
}

TEST(Sweep, MalformedSweepFilesAreRefused) {
  SweepSpec spec;
  EXPECT_TRUE(test::has_error(parse_sweep(json{{"sweep", json::object()}}, ".", spec), "sweep",
                              "parameter path -> list"));
  EXPECT_TRUE(test::has_error(parse_sweep(json{{"sweep", {{"seed", 1}}}}, ".", spec), "sweep.seed",
                              "non-empty list"));
  EXPECT_TRUE(test::has_error(
      parse_sweep(json{{"sweep", {{"seed", {1}}}}, {"stats", json::array()}}, ".", spec), "stats",
      "at least one"));
  EXPECT_TRUE(
      test::has_error(parse_sweep(json{{"sweep", {{"seed", {1}}}}, {"bogus", 1}}, ".", spec),
                      "bogus", "unknown key"));
  EXPECT_TRUE(test::has_error(
      parse_sweep(json{{"base", "no-such-file.json"}, {"sweep", {{"seed", {1}}}}}, ".", spec),
      "base", "cannot open"));
}

TEST(Sweep, ANumberNoDoubleHoldsIsNotValidJson) {
  // nlohmann throws out_of_range, not parse_error, for 1e999: the sweep
  // ended with an uncaught exception. Found by fuzz_sweep (docs/fuzzing.md).
  const auto file = test::temp_dir() / "overflow_sweep.json";
  std::ofstream(file) << R"({"config": {"seed": 1e999}, "sweep": {"seed": [1]}})";
  std::ofstream(test::temp_dir() / "overflow_base.json") << R"({"seed": -1e999})";
  SweepSpec spec;
  EXPECT_TRUE(
      test::has_error(load_sweep_file(file, spec), "sweep file",
                      file.string() + " is not valid JSON: [json.exception.out_of_range.406]"));
  EXPECT_TRUE(
      test::has_error(parse_sweep(json{{"base", "overflow_base.json"}, {"sweep", {{"seed", {1}}}}},
                                  test::temp_dir(), spec),
                      "base", "is not valid JSON: [json.exception.out_of_range.406]"));
}

TEST(Sweep, AnEmptyKeyIsNamedInThePath) {
  // Errors about the empty key had no path. Found by fuzz_config and
  // fuzz_sweep (docs/fuzzing.md).
  SweepSpec spec;
  EXPECT_TRUE(test::has_error(parse_sweep(json{{"", 1}, {"sweep", {{"seed", {1}}}}}, ".", spec),
                              "\"\"", "unknown key"));
  std::vector<SweepPoint> points;
  EXPECT_TRUE(test::has_error(expand_sweep(parse({{"sweep", {{"", {1}}}}}), points), "\"\"",
                              "is not a parameter path"));
}

TEST(Sweep, UnknownStatisticIsNamed) {
  const auto spec = parse({{"config", kSmall},
                           {"sweep", {{"seed", {1}}}},
                           {"stats", {"iommu.iotlb.hit_rate", "iommu.iotlb.hitrate"}}});
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  const auto errors = check_sweep_stats(spec, points.front().config);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("\"iommu.iotlb.hitrate\""), std::string::npos);
}

TEST(Sweep, CsvHasOneRowPerPointWithTheChosenStatistics) {
  // 1 MiB random working set (256 pages): a 4-entry IOTLB almost never
  // hits, a 1024-entry one holds every page after its first miss.
  const auto spec = parse({{"config", kSmall},
                           {"sweep", {{"iommu.iotlb.sets", {1, 256}}}},
                           {"stats", {"iommu.iotlb.misses", "iommu.translation_latency.min"}}});
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  const std::string csv = run_sweep(spec, points, {});
  std::istringstream lines(csv);
  std::string header, small, big, extra;
  std::getline(lines, header);
  std::getline(lines, small);
  std::getline(lines, big);
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(header, "point,iommu.iotlb.sets,iommu.iotlb.misses,iommu.translation_latency.min");
  // With 1024 entries each of the 256 pages misses exactly once. The
  // minimum latency, a double, is 3 ns: written as 3, not 3.0.
  EXPECT_EQ(big, "1,256,256,3");
  EXPECT_TRUE(small.starts_with("0,1,")) << small;
  const auto misses = std::stoul(small.substr(small.find(',', 2) + 1));
  EXPECT_GT(misses, 1900u);
}

// Writes a sweep file into this test's temporary directory.
std::filesystem::path sweep_file(const std::string& name, const std::string& text) {
  const auto path = test::temp_dir() / name;
  std::ofstream(path) << text;
  return path;
}

TEST(Sweep, AxesFollowTheOrderOfTheFile) {
  // Against the alphabet: ways, then write_fraction, then sets.
  const auto file = sweep_file("order.json", R"({
      "config": {"workloads": [{"device": "nic0", "count": 200, "span": "1MiB"}]},
      "sweep": {"iommu.iotlb.ways": [2, 8], "workloads[0].write_fraction": [0.1],
                "iommu.iotlb.sets": [1, 4]},
      "stats": ["workload.wl0.completed"]})");
  SweepSpec spec;
  const auto errors = load_sweep_file(file, spec);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string();
  ASSERT_EQ(spec.axes.size(), 3u);
  EXPECT_EQ(spec.axes[0].first, "iommu.iotlb.ways");
  EXPECT_EQ(spec.axes[1].first, "workloads[0].write_fraction");
  EXPECT_EQ(spec.axes[2].first, "iommu.iotlb.sets");
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  const CsvTable csv = parse_csv(run_sweep(spec, points, {}));
  EXPECT_EQ(csv.header,
            (std::vector<std::string>{"point", "iommu.iotlb.ways", "workloads[0].write_fraction",
                                      "iommu.iotlb.sets", "workload.wl0.completed"}));
  // The first axis varies slowest; 0.1 is written as 0.1.
  const std::vector<std::vector<std::string>> rows{{"0", "2", "0.1", "1", "200"},
                                                   {"1", "2", "0.1", "4", "200"},
                                                   {"2", "8", "0.1", "1", "200"},
                                                   {"3", "8", "0.1", "4", "200"}};
  EXPECT_EQ(csv.rows, rows);
  EXPECT_EQ(points[2].config.iommu.iotlb.ways, 8u);
  EXPECT_EQ(points[2].config.iommu.iotlb.sets, 1u);
}

TEST(Sweep, AListValueWithCommasAndQuotesRoundTripsThroughTheCsv) {
  // An axis whose values are lists of objects: their JSON has commas and
  // quotes, so the cell is quoted and its quotes doubled.
  const nlohmann::json small_map = json::parse(R"([{"iova": "0x100000", "size": "1MiB"}])");
  const nlohmann::json large_map = json::parse(R"([{"iova": "0x100000", "size": "2MiB"}])");
  const auto spec = parse({{"config", kSmall},
                           {"sweep", {{"address_spaces[0].mappings", {small_map, large_map}}}},
                           {"stats", {"workload.wl0.faulted"}}});
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  const std::string text = run_sweep(spec, points, {});
  EXPECT_NE(text.find(R"(0,"[{""iova"":""0x100000"",""size"":""1MiB""}]",0)"), std::string::npos)
      << text;
  const CsvTable csv = parse_csv(text);
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0][1], small_map.dump());
  EXPECT_EQ(json::parse(csv.rows[1][1]), large_map);
}

TEST(Sweep, EachRowIsPassedOnAsSoonAsItsPointHasRun) {
  const auto spec = parse({{"config", kSmall},
                           {"sweep", {{"seed", {1, 2, 3}}}},
                           {"stats", {"workload.wl0.completed"}}});
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  const auto out = test::temp_dir() / "streamed";
  std::filesystem::remove_all(out);
  std::vector<std::string> records;
  run_sweep(spec, points, out, [&](const std::string& record) {
    // Point n's row comes after its stats.json and before point n+1 runs.
    const std::size_t n = records.size();  // the header is record 0
    if (n > 0) {
      EXPECT_TRUE(std::filesystem::exists(out / ("point-" + std::to_string(n - 1)) / "stats.json"));
    }
    EXPECT_FALSE(std::filesystem::exists(out / ("point-" + std::to_string(n)))) << n;
    records.push_back(record);
  });
  EXPECT_EQ(records, (std::vector<std::string>{"point,seed,workload.wl0.completed\n", "0,1,2000\n",
                                               "1,2,2000\n", "2,3,2000\n"}));
}

TEST(Sweep, EveryShippedSweepExpandsAndNamesRealStatistics) {
  int seen = 0;
  std::vector<std::filesystem::directory_entry> files;
  for (const char* dir :
       {IOMMU_SIM_SOURCE_DIR "/configs/sweeps", IOMMU_SIM_SOURCE_DIR "/configs/studies"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry);
  }
  for (const auto& entry : files) {
    if (entry.path().extension() != ".json") continue;
    ++seen;
    std::ifstream in(entry.path());
    SweepSpec spec;
    auto errors = parse_sweep(json::parse(in), entry.path().parent_path(), spec);
    ASSERT_TRUE(errors.empty()) << entry.path() << ": " << errors.front().to_string();
    std::vector<SweepPoint> points;
    errors = expand_sweep(spec, points);
    ASSERT_TRUE(errors.empty()) << entry.path() << ": " << errors.front().to_string();
    errors = check_sweep_stats(spec, points.front().config);
    EXPECT_TRUE(errors.empty()) << entry.path() << ": " << errors.front().to_string();
  }
  EXPECT_GE(seen, 5);
}

int run_cli(const std::string& args, std::string* output = nullptr) {
  const test::CommandResult r = test::run_command(args);
  if (output != nullptr) *output = r.output;
  return r.exit_code;
}

TEST(Sweep, CommandLineExitsTwoOnABadSweepAndWritesEveryRun) {
  const auto dir = std::filesystem::temp_directory_path() / "iommu_sim_sweep";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({"sweep": {"iommu.iotlb.ways": [0]}})";
  std::string out;
  EXPECT_EQ(run_cli("sweep " + (dir / "bad.json").string(), &out), 2);
  EXPECT_NE(out.find("iommu.iotlb.ways"), std::string::npos) << out;
  EXPECT_EQ(run_cli("sweep /nonexistent.json"), 2);
  std::ofstream(dir / "good.json")
      << R"({"config": {"workloads": [{"device": "nic0", "count": 100}]},
             "sweep": {"seed": [1, 2]}, "stats": ["workload.wl0.completed"]})";
  ASSERT_EQ(
      run_cli("sweep " + (dir / "good.json").string() + " --out " + (dir / "o").string(), &out), 0)
      << out;
  EXPECT_NE(out.find("point,seed,workload.wl0.completed\n0,1,100\n1,2,100\n"), std::string::npos)
      << out;
  std::ifstream written(dir / "o" / "sweep.csv");
  std::stringstream csv;
  csv << written.rdbuf();
  EXPECT_EQ(csv.str(), "point,seed,workload.wl0.completed\n0,1,100\n1,2,100\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "o" / "point-1" / "stats.json"));
}

}  // namespace
}  // namespace iommu_sim
