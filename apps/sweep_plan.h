// A sweep as files, so that its points can run anywhere: one config per
// point, a command list GNU parallel runs as it is, a Slurm batch script
// with one array task per point, and the columns to collect the points'
// stats.json files by into the CSV a local run writes (docs/sweeps.md).
//
//   D/sweep.json          columns, statistics and every point's axis values
//   D/commands.txt        one `iommu-sim --config ... --out ...` per point
//   D/sweep.sbatch        sbatch D/sweep.sbatch: a job array over the points
//   D/point-<n>/config.json, then stats.json once the point has run
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "apps/sweep.h"
#include "model/config_loader.h"

namespace iommu_sim {

// The Slurm resources of each array task (sbatch --time, --mem) and how
// many tasks may run at once (the array's %limit; 0: no limit).
struct SlurmOptions {
  std::string time = "01:00:00";
  std::string mem = "2G";
  std::uint32_t max_running = 0;
};

// Writes the plan; `binary` is the iommu-sim the commands name (an
// absolute path). Files of an earlier plan in `dir` are replaced; a
// point's stats.json is kept (a resume uses it) only while the point's
// config is the same.
std::vector<ConfigError> write_sweep_plan(const SweepSpec& spec,
                                          const std::vector<SweepPoint>& points,
                                          const std::filesystem::path& dir,
                                          const std::string& binary, const SlurmOptions& slurm);

// The directory of point n, and whether it has a complete stats.json
// (written at the end of a run; an interrupted run's says "complete":
// false).
std::filesystem::path point_dir(const std::filesystem::path& dir, std::size_t n);
bool point_done(const std::filesystem::path& dir, std::size_t n);
// Point n's stats.json when it is complete, else nothing.
std::optional<nlohmann::json> complete_stats(const std::filesystem::path& dir, std::size_t n);

// Reads D/sweep.json and every point's stats.json and returns the CSV a
// local run of the same sweep writes, byte for byte. Errors name each
// point that has not run or did not finish.
std::vector<ConfigError> collect_sweep(const std::filesystem::path& dir, std::string& csv);

}  // namespace iommu_sim
