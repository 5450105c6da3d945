// A number printed with a printf format ("%.2f s", "%.3g"), for the
// reports and the progress line, which lay numbers out by hand.
#pragma once

#include <cstdio>
#include <string>

namespace iommu_sim {

inline std::string printf_number(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace iommu_sim
