#include "apps/config_overrides.h"

#include <charconv>
#include <limits>

namespace iommu_sim {

std::optional<std::string> parse_override(std::string_view text, ConfigOverride& out) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return "expected PATH=VALUE (a parameter path of docs/parameters.md), got \"" +
           std::string(text) + "\"";
  }
  out.path = std::string(text.substr(0, eq));
  const std::string value(text.substr(eq + 1));
  out.value = nlohmann::json::parse(value, nullptr, false);
  if (out.value.is_discarded()) out.value = value;
  return std::nullopt;
}

CLI::Option* add_set_option(CLI::App& app, std::vector<std::string>& sets) {
  return app
      .add_option("--set", sets,
                  "override a parameter: PATH=VALUE with PATH as in docs/parameters.md "
                  "(iommu.iotlb.ways=8, workloads[0].span=16MiB); repeatable")
      ->check([](const std::string& text) {
        ConfigOverride o;
        return parse_override(text, o).value_or(std::string());
      });
}

std::vector<ConfigOverride> overrides_of(const std::vector<std::string>& sets) {
  std::vector<ConfigOverride> out(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) parse_override(sets[i], out[i]);
  return out;
}

std::optional<std::string> set_path(nlohmann::json& j, const std::string& path,
                                    const nlohmann::json& value) {
  nlohmann::json* node = &j;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t dot = path.find('.', pos);
    std::string segment =
        path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    std::optional<std::size_t> index;
    std::string digits;
    if (const std::size_t open = segment.find('['); open != std::string::npos) {
      const std::size_t close = segment.find(']', open);
      if (close != segment.size() - 1) return "malformed list index in \"" + segment + "\"";
      digits = segment.substr(open + 1, close - open - 1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
        return "malformed list index in \"" + segment + "\"";
      }
      // An index too large for size_t lies beyond any list.
      std::size_t parsed = 0;
      const auto read = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
      index = read.ec == std::errc() ? parsed : std::numeric_limits<std::size_t>::max();
      segment.resize(open);
    }
    if (segment.empty() || !node->is_object()) return "is not a parameter path";
    node = &(*node)[segment];
    if (index) {
      if (!node->is_array() || *index >= node->size()) {
        return "list index " + digits + " is beyond the list";
      }
      node = &(*node)[*index];
    }
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  *node = value;
  return std::nullopt;
}

std::vector<ConfigError> apply_overrides(nlohmann::json& full,
                                         const std::vector<ConfigOverride>& overrides) {
  std::vector<ConfigError> errors;
  for (const ConfigOverride& o : overrides) {
    if (auto error = set_path(full, o.path, o.value)) {
      errors.push_back({"--set " + key_in_path(o.path), *error});
    }
  }
  return errors;
}

std::vector<ConfigError> load_config_with(const nlohmann::json& j,
                                          const std::vector<ConfigOverride>& overrides,
                                          PlatformConfig& out) {
  PlatformConfig loaded;
  auto errors = load_config(j, loaded);
  if (!errors.empty() || overrides.empty()) {
    if (errors.empty()) out = std::move(loaded);
    return errors;
  }
  nlohmann::json full = dump_config(loaded);
  errors = apply_overrides(full, overrides);
  if (!errors.empty()) return errors;
  return load_config(full, out);
}

}  // namespace iommu_sim
