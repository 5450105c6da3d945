#include "apps/sweep.h"

#include <fstream>

#include "apps/csv.h"
#include "apps/reports.h"
#include "model/json_input.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {

std::vector<ConfigError> parse_sweep(const nlohmann::json& j, const std::filesystem::path& dir,
                                     SweepSpec& out) {
  return parse_sweep(nlohmann::ordered_json(j), dir, out);
}

std::vector<ConfigError> load_sweep_file(const std::filesystem::path& file, SweepSpec& out) {
  // ordered_json keeps the keys in the file's order: the axes' order.
  std::string error;
  const auto j = read_ordered_json(file, error);
  if (!j) return {{"sweep file", error}};
  return parse_sweep(*j, file.parent_path(), out);
}

std::vector<ConfigError> parse_sweep(const nlohmann::ordered_json& j,
                                     const std::filesystem::path& dir, SweepSpec& out) {
  std::vector<ConfigError> errors;
  if (!j.is_object()) return {{"sweep file", "must be a JSON object"}};
  for (const auto& [key, value] : j.items()) {
    if (key != "base" && key != "config" && key != "sweep" && key != "stats") {
      errors.push_back({key_in_path(key), "unknown key (expected base, config, sweep, stats)"});
    }
  }
  SweepSpec spec;
  if (j.contains("base") && j.contains("config")) {
    errors.push_back({"base", "give either base or config, not both"});
  } else if (j.contains("base")) {
    if (!j["base"].is_string()) {
      errors.push_back({"base", "must be a path to a config file"});
    } else {
      std::string error;
      if (auto base = read_json(dir / j["base"].get<std::string>(), error))
        spec.base = std::move(*base);
      else
        errors.push_back({"base", error});
    }
  } else if (j.contains("config")) {
    if (!j["config"].is_object())
      errors.push_back({"config", "must be an object"});
    else
      spec.base = nlohmann::json(j["config"]);
  }
  if (!j.contains("sweep") || !j["sweep"].is_object() || j["sweep"].empty()) {
    errors.push_back({"sweep", "must be an object of parameter path -> list of values"});
  } else {
    for (const auto& [path, values] : j["sweep"].items()) {
      if (!values.is_array() || values.empty()) {
        errors.push_back({"sweep." + path, "must be a non-empty list of values"});
        continue;
      }
      std::vector<nlohmann::json> list;
      for (const auto& v : values) list.emplace_back(v);
      spec.axes.emplace_back(path, std::move(list));
    }
  }
  if (j.contains("stats")) {
    if (!j["stats"].is_array()) {
      errors.push_back({"stats", "must be a list of statistic names"});
    } else {
      for (const auto& s : j["stats"]) {
        if (!s.is_string())
          errors.push_back({"stats", "names must be strings"});
        else
          spec.stats.push_back(s.get<std::string>());
      }
      if (j["stats"].empty()) errors.push_back({"stats", "must name at least one statistic"});
    }
  } else {
    spec.stats = {"iommu.iotlb.hit_rate", "iommu.walk.memory_reads",
                  "iommu.translation_latency.mean", "iommu.translation_latency.p50",
                  "simulated_time_ns"};
  }
  if (errors.empty()) out = std::move(spec);
  return errors;
}

std::vector<ConfigError> expand_sweep(const SweepSpec& spec, std::vector<SweepPoint>& out) {
  std::vector<ConfigError> errors;
  PlatformConfig base;
  for (const auto& e : load_config(spec.base, base)) {
    errors.push_back({e.path, "in the base config: " + e.reason});
  }
  if (!errors.empty()) return errors;
  // Apply values to the full effective config, so list elements the base
  // left at their defaults (the default workload) can be addressed.
  nlohmann::json full = dump_config(base);
  // --set overrides are part of the base every point starts from.
  if (!spec.overrides.empty()) {
    errors = apply_overrides(full, spec.overrides);
    for (const auto& e : load_config(full, base)) errors.push_back(e);
    if (!errors.empty()) return errors;
  }
  // Every point's config is loaded and kept before the first runs; the
  // product is checked as it grows, so it cannot overflow.
  std::size_t total = 1;
  for (const auto& axis : spec.axes) {
    if (axis.second.size() > kMaxSweepPoints / total) {
      std::string sizes;
      for (const auto& a : spec.axes) {
        sizes += (sizes.empty() ? "" : " x ") + std::to_string(a.second.size());
      }
      return {{"sweep", "has more than " + std::to_string(kMaxSweepPoints) + " points (" + sizes +
                            " values); split it, or run it on a cluster"}};
    }
    total *= axis.second.size();
  }
  std::vector<SweepPoint> points;
  for (std::size_t n = 0; n < total; ++n) {
    SweepPoint point;
    nlohmann::json j = full;
    std::string label;
    std::size_t rest = n;
    for (std::size_t a = spec.axes.size(); a-- > 0;) {
      const auto& [path, values] = spec.axes[a];
      const nlohmann::json& v = values[rest % values.size()];
      rest /= values.size();
      point.values.insert(point.values.begin(), v);
      std::string part = path;
      part += "=";
      part += csv_text(v);
      if (!label.empty()) part += ", ";
      label.insert(0, part);
      if (auto error = set_path(j, path, v)) errors.push_back({key_in_path(path), *error});
    }
    const std::string where = "point " + std::to_string(n) + " (" + label + ")";
    for (const auto& e : load_config(j, point.config)) {
      errors.push_back({e.path, e.reason + " [" + where + "]"});
    }
    points.push_back(std::move(point));
  }
  if (errors.empty()) out = std::move(points);
  return errors;
}

ResourceEstimate sweep_resources(const std::vector<SweepPoint>& points) {
  ResourceEstimate total;
  for (std::size_t n = 0; n < points.size(); ++n) {
    const ResourceEstimate e = estimate_resources(points[n].config);
    const std::string point = "point " + std::to_string(n) + ": ";
    if (e.host_bytes > total.host_bytes) {
      total.host_bytes = e.host_bytes;
      total.largest_memory = point + e.largest_memory;
      total.largest_memory_bytes = e.largest_memory_bytes;
    }
    total.add_work(point + e.largest_work, e.dmas);
  }
  return total;
}

std::vector<ConfigError> check_sweep_stats(const SweepSpec& spec, const PlatformConfig& sample) {
  start_fresh_kernel();
  Platform platform(sample);
  const nlohmann::json stats = platform.stats_json();
  std::vector<ConfigError> errors;
  for (const auto& name : spec.stats) {
    if (!resolve_stat(stats, name)) {
      errors.push_back({"stats", "no statistic named \"" + name + "\" (see docs/statistics.md)"});
    }
  }
  return errors;
}

std::string sweep_header(const SweepSpec& spec) {
  std::vector<std::string> fields{"point"};
  for (const auto& axis : spec.axes) fields.push_back(axis.first);
  fields.insert(fields.end(), spec.stats.begin(), spec.stats.end());
  return csv_record(fields);
}

std::string sweep_row(std::size_t n, const std::vector<nlohmann::json>& values,
                      const std::vector<std::string>& stat_names, const nlohmann::json& stats) {
  std::vector<std::string> fields{std::to_string(n)};
  for (const auto& v : values) fields.push_back(csv_text(v));
  for (const auto& name : stat_names) {
    const auto value = resolve_stat(stats, name);
    fields.push_back(value ? csv_text(*value) : std::string());
  }
  return csv_record(fields);
}

void run_sweep(const SweepSpec& spec, const std::vector<SweepPoint>& points,
               const std::filesystem::path& out_dir,
               const std::function<void(const std::string& record)>& record) {
  record(sweep_header(spec));
  for (std::size_t n = 0; n < points.size(); ++n) {
    start_fresh_kernel();
    Platform platform(points[n].config);
    platform.run();
    const nlohmann::json stats = platform.stats_json();
    if (!out_dir.empty()) {
      const auto dir = out_dir / ("point-" + std::to_string(n));
      std::filesystem::create_directories(dir);
      std::ofstream(dir / "stats.json") << stats.dump(2) << "\n";
    }
    record(sweep_row(n, points[n].values, spec.stats, stats));
  }
}

std::string run_sweep(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                      const std::filesystem::path& out_dir) {
  std::string csv;
  run_sweep(spec, points, out_dir, [&csv](const std::string& record) { csv += record; });
  return csv;
}

}  // namespace iommu_sim
