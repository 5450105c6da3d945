#include "apps/json_file.h"

#include <fstream>
#include <iostream>

namespace iommu_sim {

std::optional<nlohmann::json> read_json_file(const std::string& file, const std::string& who) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "iommu-sim: " << who << ": cannot open " << file << "\n";
    return std::nullopt;
  }
  std::string why;
  auto j = parse_json(in, why);
  if (!j)
    std::cerr << "iommu-sim: " << who << ": " << file << " is not valid JSON: " << why << "\n";
  return j;
}

}  // namespace iommu_sim
