// Unsigned numbers on the command line, read as the config reads them: a
// decimal, "0x..." hex or a size such as "4KiB", no sign, within the range
// of the config field the option stands for. CLI11 alone would take "-1"
// for 2^64 - 1 and saturate 2^64.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "model/config_loader.h"

namespace iommu_sim {

// A validator that checks the option's text against `spec` (its min, max
// and power-of-two rule) and hands CLI11 the value in decimal. The error
// reads like the config's: "must be between 0 and 1e+18 (got 18446744073709551616)".
inline CLI::Validator unsigned_param(const ParamSpec& spec) {
  const ParamSpec bounds{
      .name = spec.name, .min = spec.min, .max = spec.max, .power_of_two = spec.power_of_two};
  return CLI::Validator(
      [bounds](std::string& text) -> std::string {
        std::uint64_t value = 0;
        if (auto error = parse_unsigned_param(text, bounds, value)) return *error;
        text = std::to_string(value);
        return {};
      },
      "UINT", "unsigned number");
}

}  // namespace iommu_sim
