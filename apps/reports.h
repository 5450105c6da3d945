// Text the command line prints: the run summary and the generated
// parameter and statistics references.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "model/platform/platform.h"

namespace iommu_sim {

void print_summary(std::ostream& os, Platform& platform, const nlohmann::json& stats,
                   double wall_seconds);
std::string parameters_markdown();
std::string statistics_markdown();

}  // namespace iommu_sim
