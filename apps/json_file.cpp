#include "apps/json_file.h"

#include <iostream>

#include "model/json_input.h"

namespace iommu_sim {

std::optional<nlohmann::json> read_json_file(const std::string& file, const std::string& who) {
  std::string error;
  auto j = read_json(file, error);
  if (!j) std::cerr << "iommu-sim: " << who << ": " << error << "\n";
  return j;
}

}  // namespace iommu_sim
