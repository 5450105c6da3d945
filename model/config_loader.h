// Reads a JSON object into a parameter struct through its `visit` function.
// Every problem is collected with the dotted path of the field and a reason;
// nothing is thrown at the caller, and a failed load leaves the caller free to
// discard the half-filled struct.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "model/param.h"

namespace iommu_sim {

struct ConfigError {
  std::string path;    // e.g. "iommu.iotlb.ways" or "workloads[1].device"
  std::string reason;  // e.g. "must be a power of two (got 3)"
  std::string to_string() const { return path + ": " + reason; }
};

// A JSON key as a dotted path names it: the empty key as "", or its error
// would have no path (": unknown parameter").
inline std::string key_in_path(const std::string& key) {
  return key.empty() ? "\"\"" : key;
}

// Parses "0x1000", "4096", "4KiB", "1MiB", "2GiB", "1TiB"; nullopt if malformed.
std::optional<std::uint64_t> parse_u64(std::string_view text);

// The checks the loader makes of an unsigned field, for values that come
// from elsewhere (a command-line option, a scenario): the range and
// power-of-two rule of `spec`; the reason when `v` breaks one. Bounds and
// values print exactly.
std::optional<std::string> check_unsigned_range(std::uint64_t v, const ParamSpec& spec);
// parse_u64 then check_unsigned_range; sets `value` only when both pass.
std::optional<std::string> parse_unsigned_param(std::string_view text, const ParamSpec& spec,
                                                std::uint64_t& value);

class ConfigLoader {
 public:
  ConfigLoader(const nlohmann::json& object, std::string path, std::vector<ConfigError>& errors)
      : json_(object), path_(std::move(path)), errors_(errors) {
    if (!json_.is_object()) fail(path_.empty() ? "<config>" : path_, "must be a JSON object");
  }

  // Loads every declared field, then reports keys that nothing declared.
  template <class S>
  void load(S& target) {
    if (!json_.is_object()) return;
    target.visit(*this);
    for (const auto& [key, value] : json_.items()) {
      if (!seen_.contains(key)) fail(child(key), "unknown parameter");
    }
  }

  template <class T>
  void operator()(T& value, const ParamSpec& spec, std::string_view /*moves*/ = {}) {
    const std::string key(spec.name);
    seen_.insert(key);
    auto it = json_.find(key);
    if (it == json_.end()) return;  // keep the default
    read_scalar(*it, value, spec, child(key));
  }

  template <class S>
  void group(std::string_view name, S& sub, std::string_view /*doc*/) {
    const std::string key(name);
    seen_.insert(key);
    auto it = json_.find(key);
    if (it == json_.end()) return;
    ConfigLoader nested(*it, child(key), errors_);
    nested.load(sub);
  }

  template <class E>
  void list(std::vector<E>& items, const ListSpec& spec) {
    const std::string key(spec.name);
    seen_.insert(key);
    auto it = json_.find(key);
    if (it == json_.end()) {
      if (items.size() < spec.min_size) fail(child(key), "is required");
      return;
    }
    if (!it->is_array()) {
      fail(child(key), "must be an array");
      return;
    }
    if (it->size() < spec.min_size || it->size() > spec.max_size) {
      fail(child(key), "must have between " + std::to_string(spec.min_size) + " and " +
                           std::to_string(spec.max_size) + " elements (got " +
                           std::to_string(it->size()) + ")");
      return;
    }
    items.assign(it->size(), E{});
    for (std::size_t i = 0; i < it->size(); ++i) {
      ConfigLoader nested((*it)[i], child(key) + "[" + std::to_string(i) + "]", errors_);
      nested.load(items[i]);
    }
  }

 private:
  std::string child(const std::string& key) const {
    return path_.empty() ? key_in_path(key) : path_ + "." + key_in_path(key);
  }
  void fail(std::string path, std::string reason) {
    errors_.push_back({std::move(path), std::move(reason)});
  }

  void read_scalar(const nlohmann::json& j, bool& value, const ParamSpec&, const std::string& path);
  void read_scalar(const nlohmann::json& j, std::uint32_t& value, const ParamSpec& spec,
                   const std::string& path);
  void read_scalar(const nlohmann::json& j, std::uint64_t& value, const ParamSpec& spec,
                   const std::string& path);
  void read_scalar(const nlohmann::json& j, double& value, const ParamSpec& spec,
                   const std::string& path);
  void read_scalar(const nlohmann::json& j, std::string& value, const ParamSpec& spec,
                   const std::string& path);
  void read_scalar(const nlohmann::json& j, std::vector<std::string>& value, const ParamSpec& spec,
                   const std::string& path);
  bool check_range(double v, const ParamSpec& spec, const std::string& path);

  const nlohmann::json& json_;
  std::string path_;
  std::vector<ConfigError>& errors_;
  std::set<std::string> seen_;
};

// Writes the effective values of a parameter struct as JSON (for stats.json).
class ConfigDumper {
 public:
  explicit ConfigDumper(nlohmann::json& out) : out_(out) { out_ = nlohmann::json::object(); }
  template <class T>
  void operator()(T& value, const ParamSpec& spec, std::string_view /*moves*/ = {}) {
    out_[std::string(spec.name)] = value;
  }
  template <class S>
  void group(std::string_view name, S& sub, std::string_view) {
    ConfigDumper nested(out_[std::string(name)]);
    sub.visit(nested);
  }
  template <class E>
  void list(std::vector<E>& items, const ListSpec& spec) {
    auto& arr = out_[std::string(spec.name)];
    arr = nlohmann::json::array();
    for (auto& item : items) {
      nlohmann::json element;
      ConfigDumper nested(element);
      item.visit(nested);
      arr.push_back(std::move(element));
    }
  }

 private:
  nlohmann::json& out_;
};

template <class S>
nlohmann::json dump_config(S& params) {
  nlohmann::json out;
  ConfigDumper dumper(out);
  params.visit(dumper);
  return out;
}

}  // namespace iommu_sim
