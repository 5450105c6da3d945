// The process's resident set, read from /proc/self/statm (proc(5)): what a
// benchmark reports as host memory. Pages count once they are touched, so a
// structure's cost is the growth of this figure while it is built.
#pragma once

#include <unistd.h>

#include <fstream>

namespace iommu_sim {

inline double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

inline double resident_mib() {
  return resident_bytes() / (1 << 20);
}

}  // namespace iommu_sim
