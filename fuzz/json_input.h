// What the JSON targets share: the input parsed as `iommu-sim` parses a
// JSON file, and the form every error must have to be printed as the CLI
// prints it ("PATH: REASON").
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "fuzz/fail.h"
#include "model/config_loader.h"
#include "model/json_input.h"

namespace iommu_sim::fuzz {

// The input parsed as the CLI parses a file (model/json_input.h: nesting,
// duplicate keys and number overflow refused); none when it is not JSON
// (the CLI says so and stops).
template <class Json = nlohmann::json>
std::optional<Json> parse_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  if constexpr (std::is_same_v<Json, nlohmann::ordered_json>) {
    return parse_ordered_json(text, why);
  } else {
    return parse_json(text, why);
  }
}

inline void check_errors(const std::vector<ConfigError>& errors) {
  for (const ConfigError& e : errors) {
    if (e.path.empty() || e.reason.empty())
      fail("an error without a path or reason: " + e.to_string());
  }
}

// Scenario and sweep files name other files relative to their own
// directory. The targets give them one that does not exist, so a relative
// name is an error ("cannot open") and never reads the disk; an absolute
// one would escape it, and such an input is left out.
inline const std::filesystem::path kNoDirectory = "/nonexistent/iommu-sim-fuzz";

template <class Json>
bool names_absolute_file(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return false;
  return std::filesystem::path(j[key].template get<std::string>()).is_absolute();
}

}  // namespace iommu_sim::fuzz
