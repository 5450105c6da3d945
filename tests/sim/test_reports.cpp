// The terminal summary of a run with device models: each model's line
// carries its own statistics (I/Os or packets, rate, latency), the host
// line divides the CPUs' busy time by the work, and the workload-free lines
// agree with stats.json.
#include <gtest/gtest.h>

#include <sstream>

#include "apps/printf_number.h"
#include "apps/reports.h"
#include "model/json_input.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {
namespace {

PlatformConfig load(const std::string& file) {
  std::string error;
  const auto j = read_json(std::string(IOMMU_SIM_SOURCE_DIR) + "/" + file, error);
  EXPECT_TRUE(j.has_value()) << error;
  PlatformConfig c;
  const auto errors = load_config(*j, c);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
  return c;
}

// Runs `c` and returns the summary and the statistics it was printed from.
std::pair<std::string, nlohmann::json> summary_of(const PlatformConfig& c) {
  start_fresh_kernel();
  Platform platform(c);
  platform.run();
  const nlohmann::json j = platform.stats_json();
  std::ostringstream os;
  print_summary(os, platform, j, 0.5, nullptr);
  return {os.str(), j["stats"]};
}

std::string us(double ns) {
  return printf_number("%.1f us", ns / 1000.0);
}

TEST(Reports, NvmeLineAndCpuTimePerIo) {
  PlatformConfig c = load("configs/devices/nvme_4k_random_reads.json");
  c.devices[0].count = 200;
  const auto [text, s] = summary_of(c);
  const std::string& name = c.devices[0].name;
  const auto ios = s["devices." + name + ".ios"].get<std::uint64_t>();
  EXPECT_EQ(ios, 200u * c.host.cpus);
  EXPECT_NE(text.find("device " + name), std::string::npos) << text;
  EXPECT_NE(
      text.find(std::to_string(ios) + " I/Os, " +
                printf_number("%.0f", s["devices." + name + ".iops"].get<double>()) + " IOPS, " +
                printf_number("%.2f Gb/s", s["devices." + name + ".gbps"].get<double>()) +
                ", latency p50 " + us(s["devices." + name + ".latency"]["p50"])),
      std::string::npos)
      << text;
  const double per_io = s["host.cpu.all.busy_ns"].get<double>() / static_cast<double>(ios);
  EXPECT_NE(
      text.find("host CPUs               " + std::to_string(c.host.cpus) + " (" + c.host.dma_api +
                "), " + printf_number("%.0f ns", per_io) + " of CPU time per I/O\n"),
      std::string::npos)
      << text;
}

TEST(Reports, NicLineCountsReceivedDroppedAndSent) {
  PlatformConfig c = load("configs/devices/nic_1500b_rx.json");
  c.devices[0].count = 300;
  c.devices[0].tx_gbps = 5;
  const auto [text, s] = summary_of(c);
  const std::string p = "devices." + c.devices[0].name + ".";
  const auto rx = s[p + "rx_packets"].get<std::uint64_t>();
  const auto tx = s[p + "tx_packets"].get<std::uint64_t>();
  EXPECT_GT(tx, 0u);
  EXPECT_NE(text.find(std::to_string(rx) + " packets received (" +
                      std::to_string(s[p + "rx_dropped"].get<std::uint64_t>()) + " dropped), " +
                      std::to_string(tx) + " sent, " +
                      printf_number("%.0f", s[p + "rx_pps"].get<double>()) + " pps"),
            std::string::npos)
      << text;
  const double per_unit = s["host.cpu.all.busy_ns"].get<double>() / static_cast<double>(rx + tx);
  EXPECT_NE(text.find(printf_number("%.0f ns", per_unit) + " of CPU time per I/O or packet\n"),
            std::string::npos)
      << text;
}

TEST(Reports, AcceleratorLineHasItsDmasAndThroughput) {
  PlatformConfig c = load("configs/devices/accelerator_stream.json");
  c.devices[0].count = 2000;
  const auto [text, s] = summary_of(c);
  const std::string p = "workload." + c.devices[0].name;
  EXPECT_EQ(s[p + ".completed"].get<std::uint64_t>(), 2000u);
  EXPECT_NE(text.find("accelerator " + c.devices[0].name), std::string::npos) << text;
  EXPECT_NE(
      text.find("2000 DMAs of 4 KiB, " + std::to_string(c.devices[0].queue_depth) + " in flight: " +
                printf_number("%.2f Gb/s", s[p + ".throughput_gbps"].get<double>())),
      std::string::npos)
      << text;
  // An accelerator alone does no host I/O: no CPU line.
  EXPECT_EQ(text.find("host CPUs"), std::string::npos) << text;
}

}  // namespace
}  // namespace iommu_sim
