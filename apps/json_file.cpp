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
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::cerr << "iommu-sim: " << who << ": " << file << " is not valid JSON: " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace iommu_sim
