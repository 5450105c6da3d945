// The command line's answer to a run that would not fit this machine or a
// sane time (model/platform/resource_estimate.h): refused before anything
// runs when its memory exceeds the machine's, warned when its DMAs would
// take hours.
#pragma once

#include <optional>
#include <string>

#include "model/platform/resource_estimate.h"

namespace iommu_sim {

// Above this many DMAs a run is warned of: about 16 minutes at the 1.03 M
// cold-walk DMAs per wall-second measured in timed mode (README, "Speed and
// memory", BM_Timed_ColdWalk).
inline constexpr double kWarnDmas = 1e9;

// This machine's physical memory in bytes (sysconf).
double machine_memory_bytes();

// The refusal, naming the field, when `e` needs more than `machine_bytes`.
std::optional<std::string> memory_refusal(const ResourceEstimate& e, double machine_bytes);
// The warning, naming the field, when `e` issues more than kWarnDmas.
std::optional<std::string> duration_warning(const ResourceEstimate& e);

// Both, printed on stderr as "config error:" and "warning:" lines; false when
// refused.
bool check_resources(const ResourceEstimate& e);

}  // namespace iommu_sim
