// The Broadwell preset against pcie-bench's published measurements of that
// machine (docs/validation.md): 64 B random DMA reads from a Gen3 x8 NFP-6000
// through a Xeon E5-2630 v4's VT-d with 4 KiB pages, swept over the window,
// and without the IOMMU. The shipped sweep runs here with fewer DMAs per
// point; every point must land within 10 % of the published figure and the
// pass-through curve must be flat within 5 %.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "apps/sweep.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

const std::filesystem::path kValidation =
    std::filesystem::path(IOMMU_SIM_SOURCE_DIR) / "configs" / "validation";

std::vector<std::vector<std::string>> csv_rows(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

TEST(Validation, PcieBenchBroadwellReadsWithinTenPercentAtEveryWindow) {
  std::ifstream in(kValidation / "pciebench_broadwell_64b_reads.json");
  SweepSpec spec;
  ASSERT_TRUE(parse_sweep(nlohmann::json::parse(in), kValidation, spec).empty());
  spec.base["workloads"][0]["count"] = 40000;  // 200 000 in the shipped preset
  std::vector<SweepPoint> points;
  ASSERT_TRUE(expand_sweep(spec, points).empty());
  const auto rows = csv_rows(run_sweep(spec, points, {}));
  ASSERT_EQ(rows.size(), 13u);
  // point, then the axes in the file's order, then the statistics.
  ASSERT_EQ(rows[0][1], "host.dma_remapping");
  ASSERT_EQ(rows[0][2], "workloads[0].span");
  ASSERT_EQ(rows[0][3], "workload.dma.throughput_gbps");
  // The published figures, with their source, beside the sweep.
  std::map<std::string, std::pair<double, double>> published;  // window -> (on, off)
  std::ifstream pub(kValidation / "pciebench_broadwell_64b_reads.published.csv");
  std::stringstream text;
  text << pub.rdbuf();
  for (const auto& row : csv_rows(text.str())) {
    if (row.size() == 4 && row[0] != "window" && row[0][0] != '#') {
      published[row[0]] = {std::stod(row[2]), std::stod(row[3])};
    }
  }
  ASSERT_EQ(published.size(), 6u);
  double flat_min = 1e9, flat_max = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const std::string& remapping = rows[r][1];
    const std::string& window = rows[r][2];
    const double gbps = std::stod(rows[r][3]);
    const auto [on, off] = published.at(window);
    const double expected = remapping == "on" ? on : off;
    EXPECT_NEAR(gbps, expected, 0.10 * expected) << remapping << " " << window;
    if (remapping == "off") {
      flat_min = std::min(flat_min, gbps);
      flat_max = std::max(flat_max, gbps);
    }
  }
  EXPECT_LE(flat_max, 1.05 * flat_min);
}

TEST(Validation, PcieBenchBroadwellSerialReadLatencyWithAndWithoutAnIotlbMiss) {
  // pcie-bench lat_dma_sweep_rd_rnd_64, cold: about 612 ns on average when
  // every read hits the IOTLB, 902 ns when every read misses (64 MiB).
  std::ifstream in(std::filesystem::path(IOMMU_SIM_SOURCE_DIR) / "configs" / "platforms" /
                   "broadwell_xeon_gen3x8.json");
  PlatformConfig base;
  ASSERT_TRUE(load_config(nlohmann::json::parse(in), base).empty());
  const auto median_ns = [&](const char* span) {
    PlatformConfig c = base;
    c.workloads[0].mode = "latency";
    c.workloads[0].count = 5000;
    c.workloads[0].span = span == std::string("64MiB") ? 64ull << 20 : 256ull << 10;
    start_fresh_kernel();
    Platform p(c);
    p.run();
    return p.stats().find_histogram("workload.dma.latency")->percentile(0.5) / 1000.0;
  };
  EXPECT_NEAR(median_ns("256KiB"), 612, 0.10 * 612);
  EXPECT_NEAR(median_ns("64MiB"), 902, 0.10 * 902);
}

}  // namespace
}  // namespace iommu_sim
