// Text the command line prints: the run summary and the generated
// parameter and statistics references.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "model/platform/platform.h"
#include "model/platform/platform_trace.h"

namespace iommu_sim {

// With `replay`, its devices' DMAs count with the workloads' and each
// device has a line.
void print_summary(std::ostream& os, Platform& platform, const nlohmann::json& stats,
                   double wall_seconds, const PlatformReplay* replay = nullptr);
// The oracle's line and its listed violations, if it checked anything.
void print_violations(std::ostream& os, const DmaOracle& oracle);
// The line after a list the oracle cut at oracle.max_listed; nothing when
// `not_listed` is 0.
void print_not_listed(std::ostream& os, std::uint64_t not_listed);
std::string parameters_markdown();
std::string statistics_markdown();
// A statistic of stats.json by name: an exact counter/derived name, a
// histogram field ("name.p50"), or a top-level field ("simulated_time_ns").
std::optional<nlohmann::json> resolve_stat(const nlohmann::json& stats_json,
                                           const std::string& name);

}  // namespace iommu_sim
