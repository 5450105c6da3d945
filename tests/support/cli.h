// Test support: runs the iommu-sim binary built with the tests.
#pragma once

#include <string>

namespace iommu_sim::test {

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

// Runs `iommu-sim <args>` through the shell; `env` ("PATH=/x") is set for
// that command alone.
CommandResult run_command(const std::string& args, const std::string& env = "");

// Writes `text` to <temp dir>/<name>; returns the path.
std::string write_temp(const std::string& name, const std::string& text);

}  // namespace iommu_sim::test
