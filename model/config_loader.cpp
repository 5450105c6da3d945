#include "model/config_loader.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace iommu_sim {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::uint64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value, base);
  if (ec != std::errc() || ptr == begin) return std::nullopt;
  const std::string_view suffix(ptr, static_cast<std::size_t>(end - ptr));
  unsigned shift = 0;
  if (suffix.empty()) {
    shift = 0;
  } else if (suffix == "KiB") {
    shift = 10;
  } else if (suffix == "MiB") {
    shift = 20;
  } else if (suffix == "GiB") {
    shift = 30;
  } else if (suffix == "TiB") {
    shift = 40;
  } else {
    return std::nullopt;
  }
  if (shift != 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift))
    return std::nullopt;
  return value << shift;
}

namespace {
std::string show(const nlohmann::json& j) {
  std::string s = j.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}
std::string show_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

bool ConfigLoader::check_range(double v, const ParamSpec& spec, const std::string& path) {
  if (v < spec.min || v > spec.max) {
    fail(path, "must be between " + show_number(spec.min) + " and " + show_number(spec.max) +
                   " (got " + show_number(v) + ")");
    return false;
  }
  return true;
}

void ConfigLoader::read_scalar(const nlohmann::json& j, bool& value, const ParamSpec&,
                               const std::string& path) {
  if (!j.is_boolean()) {
    fail(path, "must be true or false (got " + show(j) + ")");
    return;
  }
  value = j.get<bool>();
}

void ConfigLoader::read_scalar(const nlohmann::json& j, std::uint64_t& value, const ParamSpec& spec,
                               const std::string& path) {
  std::uint64_t v = 0;
  if (j.is_number_unsigned()) {
    v = j.get<std::uint64_t>();
  } else if (j.is_number_integer()) {
    if (j.get<std::int64_t>() < 0) {
      fail(path, "must not be negative (got " + show(j) + ")");
      return;
    }
    v = j.get<std::uint64_t>();
  } else if (j.is_string()) {
    auto parsed = parse_u64(j.get<std::string>());
    if (!parsed) {
      fail(path, "must be an unsigned integer, hex \"0x...\" or size \"4KiB\"/\"1MiB\" (got " +
                     show(j) + ")");
      return;
    }
    v = *parsed;
  } else {
    fail(path, "must be an unsigned integer (got " + show(j) + ")");
    return;
  }
  if (!check_range(static_cast<double>(v), spec, path)) return;
  if (spec.power_of_two && !std::has_single_bit(v)) {
    fail(path, "must be a power of two (got " + std::to_string(v) + ")");
    return;
  }
  value = v;
}

void ConfigLoader::read_scalar(const nlohmann::json& j, std::uint32_t& value, const ParamSpec& spec,
                               const std::string& path) {
  std::uint64_t wide = value;
  const std::size_t errors_before = errors_.size();
  read_scalar(j, wide, spec, path);
  if (errors_.size() != errors_before) return;
  if (wide > std::numeric_limits<std::uint32_t>::max()) {
    fail(path, "does not fit in 32 bits (got " + std::to_string(wide) + ")");
    return;
  }
  value = static_cast<std::uint32_t>(wide);
}

void ConfigLoader::read_scalar(const nlohmann::json& j, double& value, const ParamSpec& spec,
                               const std::string& path) {
  if (!j.is_number()) {
    fail(path, "must be a number (got " + show(j) + ")");
    return;
  }
  const double v = j.get<double>();
  if (!std::isfinite(v)) {
    fail(path, "must be finite");
    return;
  }
  if (!check_range(v, spec, path)) return;
  value = v;
}

void ConfigLoader::read_scalar(const nlohmann::json& j, std::string& value, const ParamSpec& spec,
                               const std::string& path) {
  if (!j.is_string()) {
    fail(path, "must be a string (got " + show(j) + ")");
    return;
  }
  auto s = j.get<std::string>();
  if (spec.choices.size() != 0) {
    bool ok = false;
    std::string list;
    for (auto c : spec.choices) {
      ok = ok || (c == s);
      if (!list.empty()) list += ", ";
      list += std::string(c);
    }
    if (!ok) {
      fail(path, "must be one of " + list + " (got \"" + s + "\")");
      return;
    }
  }
  value = std::move(s);
}

void ConfigLoader::read_scalar(const nlohmann::json& j, std::vector<std::string>& value,
                               const ParamSpec& /*spec*/, const std::string& path) {
  if (!j.is_array()) {
    fail(path, "must be an array of strings (got " + show(j) + ")");
    return;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string element = path + "[" + std::to_string(i) + "]";
    if (!j[i].is_string()) {
      fail(element, "must be a string (got " + show(j[i]) + ")");
      ok = false;
    } else if (j[i].get<std::string>().empty()) {
      fail(element, "must not be empty");
      ok = false;
    } else {
      out.push_back(j[i].get<std::string>());
    }
  }
  if (ok) value = std::move(out);
}

}  // namespace iommu_sim
