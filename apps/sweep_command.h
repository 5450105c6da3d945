// The `iommu-sim sweep` subcommand and its two helpers:
//   sweep FILE [--out D] [--jobs N] [--resume]   run every point, print the CSV
//   sweep plan FILE --out D [--slurm-...]        write the points for GNU parallel or Slurm
//   sweep collect D                              merge the points' stats.json into the CSV
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "apps/config_overrides.h"
#include "apps/sweep_plan.h"

namespace iommu_sim {

struct SweepArgs {
  std::string file, out;
  unsigned jobs = 0;  // 0: in this process, one point after another
  bool resume = false;
  SlurmOptions slurm;
  std::string collect_dir;
  std::vector<ConfigOverride> overrides;  // --set, filled in by the caller
};

struct SweepCommands {
  CLI::App* sweep = nullptr;
  CLI::App* plan = nullptr;
  CLI::App* collect = nullptr;
};

SweepCommands add_sweep_command(CLI::App& app, SweepArgs& args, std::vector<std::string>& sets);
// Exit status: 0 when every point ran, 1 when one failed, 2 for bad input.
int sweep_command(const SweepCommands& which, const SweepArgs& args);

}  // namespace iommu_sim
