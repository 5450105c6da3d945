// Reading a scenario's "steps" and checking them against the platform they
// will run on, before anything runs. Both follow the action table
// (scenario/actions.h); every error names its step and field
// ("steps[3].to").
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "model/config_loader.h"
#include "model/platform/platform_config.h"
#include "scenario/step_params.h"

namespace iommu_sim {

// Loads every step's fields (types and ranges as declared in StepParams),
// records which keys each gave, and turns address fields written as names
// ("buf+0x1000") into references the runner resolves.
std::vector<StepParams> parse_steps(const nlohmann::json& steps, std::vector<ConfigError>& errors);

// The fields each action needs and no others, names created before they
// are used and not twice, devices the topology has, expected outcomes an
// action can have.
std::vector<ConfigError> check_steps(const std::vector<StepParams>& steps,
                                     const PlatformConfig& platform);

}  // namespace iommu_sim
