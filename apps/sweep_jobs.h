// Runs a sweep plan's points (apps/sweep_plan.h) on this machine, N
// processes at a time: each point is its line of D/commands.txt, the same
// command GNU parallel and Slurm run, with its output in
// D/point-<n>/run.log.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace iommu_sim {

struct SweepJobsResult {
  std::size_t skipped = 0;          // done before (resume)
  std::vector<std::size_t> failed;  // points whose command exited non-zero
  std::string error;                // the plan could not be read or a process started
};

// Runs the points of `dir`'s plan, `jobs` at once. With `resume`, points
// whose stats.json is complete are kept and not run; without, every
// point's old stats.json is removed first. `finished(n)` is called as each
// point ends, in the order they end.
SweepJobsResult run_sweep_jobs(const std::filesystem::path& dir, unsigned jobs, bool resume,
                               const std::function<void(std::size_t n)>& finished);

}  // namespace iommu_sim
