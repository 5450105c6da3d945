// Reading a JSON file named on the command line.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace iommu_sim {

// Reads and parses `file`; on failure says why on stderr, prefixed with
// `who` (the option or subcommand that named the file), and returns none.
std::optional<nlohmann::json> read_json_file(const std::string& file, const std::string& who);

}  // namespace iommu_sim
