// The iommu-sim command line.
//   iommu-sim                         run the embedded default platform
//   iommu-sim --config F --out D      run a platform from JSON, write D/stats.json
//   iommu-sim params                  print docs/parameters.md
//   iommu-sim stats                   print docs/statistics.md
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <systemc>

#include "apps/reports.h"
#include "model/platform/platform.h"

using namespace iommu_sim;

namespace {

constexpr int kExitConfigError = 2;

int run(const std::string& config_path, const std::string& out_dir,
        std::optional<std::uint64_t> seed, const std::string& mode, bool quiet) {
  nlohmann::json j = nlohmann::json::object();
  if (!config_path.empty()) {
    std::ifstream in(config_path);
    if (!in) {
      std::cerr << "iommu-sim: --config: cannot open " << config_path << "\n";
      return kExitConfigError;
    }
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      std::cerr << "iommu-sim: --config: " << config_path << " is not valid JSON: " << e.what()
                << "\n";
      return kExitConfigError;
    }
  }
  PlatformConfig config;
  auto errors = load_config(j, config);
  if (!errors.empty()) {
    for (const auto& e : errors) {
      std::cerr << "iommu-sim: config error: " << e.to_string() << "\n";
    }
    return kExitConfigError;
  }
  if (seed) config.seed = *seed;
  if (!mode.empty()) config.mode = mode;

  // Check --out before spending time on the run.
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec || !std::filesystem::is_directory(out_dir)) {
      std::cerr << "iommu-sim: --out: cannot create directory " << out_dir
                << (ec ? ": " + ec.message() : std::string()) << "\n";
      return kExitConfigError;
    }
  }

  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  Platform platform(config);
  const auto t0 = std::chrono::steady_clock::now();
  platform.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const nlohmann::json stats = platform.stats_json();
  if (!quiet) print_summary(std::cout, platform, stats, wall);
  if (!out_dir.empty()) {
    std::ofstream out(std::filesystem::path(out_dir) / "stats.json");
    if (!out) {
      std::cerr << "iommu-sim: --out: cannot write " << out_dir << "/stats.json\n";
      return 1;
    }
    out << stats.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  CLI::App app{"iommu-sim: DMA translation through a VT-d-like IOMMU, on SystemC/TLM-2.0"};
  app.set_version_flag("--version", "iommu-sim 0.1.0");
  std::string config_path, out_dir, mode;
  std::uint64_t seed_value = 0;
  bool quiet = false;
  auto* config_opt = app.add_option("--config", config_path, "platform and workload JSON file")
                         ->check(CLI::ExistingFile);
  app.add_option("--out", out_dir, "directory to write stats.json into");
  auto* seed_opt =
      app.add_option("--seed", seed_value, "seed for all randomness (overrides config)");
  app.add_option("--mode", mode, "timed or functional (overrides config)")
      ->check(CLI::IsMember({"timed", "functional"}));
  app.add_flag("--quiet", quiet, "do not print the summary");
  auto* params_cmd = app.add_subcommand("params", "print the parameter reference (Markdown)");
  auto* stats_cmd = app.add_subcommand("stats", "print the statistics reference (Markdown)");
  (void)config_opt;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitConfigError;
  }
  if (*params_cmd) {
    std::cout << parameters_markdown();
    return 0;
  }
  if (*stats_cmd) {
    std::cout << statistics_markdown();
    return 0;
  }
  std::optional<std::uint64_t> seed;
  if (*seed_opt) seed = seed_value;
  return run(config_path, out_dir, seed, mode, quiet);
}
