// Reading a JSON file named on the command line.
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace iommu_sim {

// Parses `in` as `Json` (nlohmann::json, or ordered_json to keep the keys
// in the file's order). None when it is not JSON, and `why` says what is
// wrong: a syntax error, or a number no double holds (1e999), for which
// nlohmann throws out_of_range rather than parse_error.
template <class Json = nlohmann::json>
std::optional<Json> parse_json(std::istream& in, std::string& why) {
  try {
    return Json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    why = e.what();
    return std::nullopt;
  }
}

// Reads and parses `file`; on failure says why on stderr, prefixed with
// `who` (the option or subcommand that named the file), and returns none.
std::optional<nlohmann::json> read_json_file(const std::string& file, const std::string& who);

}  // namespace iommu_sim
