// Reading JSON that a user wrote: config, scenario and sweep files. The
// parser is nlohmann-json's; this adds the limits a simulator's input needs
// and turns every way reading can fail into one message, so no caller sees an
// exception.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace iommu_sim {

// Deeper nesting than any config, scenario or sweep needs (they nest at most
// about 8 levels). The bound keeps the recursive parts of nlohmann-json (copy,
// dump, comparison) from exhausting the stack on hostile input; the parser
// itself is iterative.
inline constexpr std::size_t kMaxJsonDepth = 64;

// Parses `text`. Refuses, with the dotted path of the place in `error`:
// nesting deeper than kMaxJsonDepth, a key given twice in one object (JSON
// leaves it open, RFC 8259 section 4; nlohmann would keep the last silently),
// numbers beyond a double's range (1e999) and every syntax error.
std::optional<nlohmann::json> parse_json(std::string_view text, std::string& error);
// The same, keeping each object's keys in the file's order (a sweep's axes).
std::optional<nlohmann::ordered_json> parse_ordered_json(std::string_view text, std::string& error);

// Reads a whole regular file. A missing file, a directory, a file that cannot
// be read or that is larger than `max_bytes` gives none and the reason.
std::optional<std::string> read_text_file(const std::filesystem::path& file, std::string& error,
                                          std::uintmax_t max_bytes = std::uintmax_t{64} << 20);

// read_text_file then parse_json; the error names the file.
std::optional<nlohmann::json> read_json(const std::filesystem::path& file, std::string& error);
std::optional<nlohmann::ordered_json> read_ordered_json(const std::filesystem::path& file,
                                                        std::string& error);

}  // namespace iommu_sim
