#include "apps/resource_check.h"

#include <unistd.h>

#include <iostream>

#include "apps/printf_number.h"

namespace iommu_sim {

double machine_memory_bytes() {
  return static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

std::optional<std::string> memory_refusal(const ResourceEstimate& e, double machine_bytes) {
  if (e.host_bytes <= machine_bytes) return std::nullopt;
  return e.largest_memory + ": the set-up needs about " +
         printf_number("%.1f", e.host_bytes / 1e9) + " GB of host memory (" +
         printf_number("%.1f", e.largest_memory_bytes / 1e9) +
         " GB for this field alone), more than this machine's " +
         printf_number("%.1f", machine_bytes / 1e9) + " GB";
}

std::optional<std::string> duration_warning(const ResourceEstimate& e) {
  if (e.dmas <= kWarnDmas) return std::nullopt;
  // Timed mode's measured rates (README, "Speed and memory"): 4.7 M DMAs per
  // wall-second when every DMA hits the IOTLB (BM_Timed_AllHit), 1.03 M when
  // every DMA walks cold (BM_Timed_ColdWalk).
  const auto hours = [&](double rate) { return printf_number("%.3g", e.dmas / rate / 3600); };
  return e.largest_work + ": the run issues about " + printf_number("%.3g", e.dmas) + " DMAs, " +
         hours(4.7e6) + " to " + hours(1.03e6) +
         " hours of wall time at timed mode's measured 1.03 to 4.7 M DMAs per second; it goes on "
         "(Ctrl-C "
         "stops it and writes stats.json)";
}

bool check_resources(const ResourceEstimate& e) {
  if (auto refusal = memory_refusal(e, machine_memory_bytes())) {
    std::cerr << "iommu-sim: config error: " << *refusal << "\n";
    return false;
  }
  if (auto warning = duration_warning(e)) std::cerr << "iommu-sim: warning: " << *warning << "\n";
  return true;
}

}  // namespace iommu_sim
