#include "model/config_loader.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "model/number_text.h"

namespace iommu_sim {

namespace {

enum class NumberText { ok, malformed, overflow };

NumberText read_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return NumberText::malformed;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::uint64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value, base);
  if (ec == std::errc::result_out_of_range) return NumberText::overflow;
  if (ec != std::errc() || ptr == begin) return NumberText::malformed;
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
    return NumberText::malformed;
  }
  if (shift != 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift))
    return NumberText::overflow;
  out = value << shift;
  return NumberText::ok;
}

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  if (read_u64(text, value) != NumberText::ok) return std::nullopt;
  return value;
}

namespace {
std::string show(const nlohmann::json& j) {
  std::string s = j.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}
std::string range_text(const ParamSpec& spec) {
  return "must be between " + shortest_number(spec.min) + " and " + shortest_number(spec.max);
}
}  // namespace

std::optional<std::string> check_unsigned_range(std::uint64_t v, const ParamSpec& spec) {
  // Compared as integers: a double holds 2^64 - 1 as 2^64 and would let
  // values just above a large bound through.
  const auto bound = [](double b) {
    return b >= 0x1p64 ? std::numeric_limits<std::uint64_t>::max()
                       : static_cast<std::uint64_t>(std::max(b, 0.0));
  };
  if (v < bound(spec.min) || v > bound(spec.max))
    return range_text(spec) + " (got " + std::to_string(v) + ")";
  if (spec.power_of_two && !std::has_single_bit(v))
    return "must be a power of two (got " + std::to_string(v) + ")";
  return std::nullopt;
}

std::optional<std::string> parse_unsigned_param(std::string_view text, const ParamSpec& spec,
                                                std::uint64_t& value) {
  std::uint64_t parsed = 0;
  switch (read_u64(text, parsed)) {
    case NumberText::overflow:
      return "does not fit in 64 bits (got \"" + std::string(text) + "\")";
    case NumberText::malformed:
      return "must be an unsigned integer, hex \"0x...\" or size \"4KiB\"/\"1MiB\" (got \"" +
             std::string(text) + "\")";
    case NumberText::ok:
      break;
  }
  if (auto error = check_unsigned_range(parsed, spec)) return error;
  value = parsed;
  return std::nullopt;
}

bool ConfigLoader::check_range(double v, const ParamSpec& spec, const std::string& path) {
  if (v < spec.min || v > spec.max) {
    fail(path, range_text(spec) + " (got " + shortest_number(v) + ")");
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
  if (auto error = check_unsigned_range(v, spec)) {
    fail(path, std::move(*error));
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
