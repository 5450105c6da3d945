// Command-line overrides of config parameters: `--set PATH=VALUE`, where
// PATH is a dotted path of docs/parameters.md with [i] for list elements
// ("iommu.iotlb.ways", "workloads[0].span"). Overrides apply to the full
// effective config (so a default list element can be named) and the
// result is loaded and checked exactly as a config file is.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/config_loader.h"
#include "model/platform/platform_config.h"

namespace iommu_sim {

// clang-tidy 14 cannot see that nlohmann::json's noexcept move constructor
// does not throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct ConfigOverride {
  std::string path;
  nlohmann::json value;
};

// "PATH=VALUE". VALUE is JSON when it reads as JSON (4096, true, "x",
// [1, 2]), otherwise the text itself, so "--set mode=functional" and
// "--set iommu.iotlb.ways=8" need no quotes. The reason when malformed.
std::optional<std::string> parse_override(std::string_view text, ConfigOverride& out);

// Adds the repeatable option `--set PATH=VALUE` to a command; its check
// refuses a malformed one (exit 2, as CLI11 refuses any bad option).
CLI::Option* add_set_option(CLI::App& app, std::vector<std::string>& sets);
// The options' texts, which the check has parsed already.
std::vector<ConfigOverride> overrides_of(const std::vector<std::string>& sets);

// Sets `value` at a dotted path with [i] list indices inside `j`. Keys that
// do not exist are created, so that loading the result reports an unknown
// parameter by its path; a list index beyond the list is an error here.
std::optional<std::string> set_path(nlohmann::json& j, const std::string& path,
                                    const nlohmann::json& value);

// Loads `j`, then applies the overrides to its effective values and loads
// again. Errors of an override's path name it as "--set PATH"; a value
// the loader refuses is reported at its parameter path, as in a file.
std::vector<ConfigError> load_config_with(const nlohmann::json& j,
                                          const std::vector<ConfigOverride>& overrides,
                                          PlatformConfig& out);

// Applies overrides to an effective config's JSON (dump_config).
std::vector<ConfigError> apply_overrides(nlohmann::json& full,
                                         const std::vector<ConfigOverride>& overrides);

}  // namespace iommu_sim
