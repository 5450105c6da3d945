// Test support: a scratch directory of this test process's own. ctest runs
// tests in parallel processes, so files with fixed names in the shared
// temporary directory would be written by two tests at once.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace iommu_sim::test {

inline std::filesystem::path temp_dir() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("iommu_sim_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace iommu_sim::test
