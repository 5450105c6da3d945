// A config shipped in the repository (configs/..., bench/configs/...),
// read as the command line reads a file; none when it does not load.
#pragma once

#include <optional>
#include <string>

#include "model/json_input.h"
#include "model/platform/platform_config.h"

namespace iommu_sim {

inline std::optional<PlatformConfig> repo_config(const std::string& relative) {
  std::string error;
  const auto json = read_json(std::string(IOMMU_SIM_SOURCE_DIR) + "/" + relative, error);
  PlatformConfig c;
  if (!json || !load_config(*json, c).empty()) return std::nullopt;
  return c;
}

}  // namespace iommu_sim
