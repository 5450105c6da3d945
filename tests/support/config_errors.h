// Test support: looking for one error among those a config or sweep check
// returned.
#pragma once

#include <string>
#include <vector>

#include "model/config_loader.h"

namespace iommu_sim::test {

// Whether `errors` holds one for `path` whose reason contains `part`.
inline bool has_error(const std::vector<ConfigError>& errors, const std::string& path,
                      const std::string& part) {
  for (const auto& e : errors) {
    if (e.path == path && e.reason.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace iommu_sim::test
