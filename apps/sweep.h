// Parameter sweeps: one base platform, one or more parameters each given a
// list of values, every combination run on a fresh kernel, and chosen
// statistics collected into one CSV row per run (docs/sweeps.md).
//
// A sweep file is JSON:
//   { "base": "../pages_4kib_random_64mib.json",   // or "config": { ... }
//     "sweep": { "iommu.iotlb.sets": [1, 2, 4, 8], "iommu.iotlb.ways": [4, 8] },
//     "stats": ["iommu.iotlb.hit_rate", "iommu.translation_latency.p50"] }
// Parameter paths are the dotted paths of docs/parameters.md, with [i] for
// list elements ("workloads[0].span"). A statistic is a name of
// docs/statistics.md, a histogram field ("iommu.translation_latency.p50"),
// or "simulated_time_ns". The axes keep the order the file lists them in:
// they are the CSV's columns after "point", and the first varies slowest.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "apps/config_overrides.h"
#include "model/config_loader.h"
#include "model/platform/platform_config.h"
#include "model/platform/resource_estimate.h"

namespace iommu_sim {

// The most points one sweep may have. Each point's config is loaded and kept
// before the first runs (a bad sweep runs nothing), a few KiB each; and at a
// few hundred ms per run, 100,000 points are already a day on one core.
inline constexpr std::size_t kMaxSweepPoints = 100000;

struct SweepSpec {
  nlohmann::json base = nlohmann::json::object();
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;
  std::vector<std::string> stats;
  // --set PATH=VALUE: applied to the base before the axes.
  std::vector<ConfigOverride> overrides;
};

struct SweepPoint {
  std::vector<nlohmann::json> values;  // one per axis
  PlatformConfig config;
};

// Reads a sweep file's JSON; `dir` resolves a relative "base". The axes
// follow the order of the "sweep" object's keys: as written with
// ordered_json, alphabetical with nlohmann::json.
std::vector<ConfigError> parse_sweep(const nlohmann::ordered_json& j,
                                     const std::filesystem::path& dir, SweepSpec& out);
std::vector<ConfigError> parse_sweep(const nlohmann::json& j, const std::filesystem::path& dir,
                                     SweepSpec& out);

// Reads and parses a sweep file, keeping its axes in the file's order. A
// file that cannot be opened or is not JSON is an error naming the file.
std::vector<ConfigError> load_sweep_file(const std::filesystem::path& file, SweepSpec& out);

// What the whole sweep needs: the most memory one point sets up (points run
// one after another), named as "point N: field", and every point's DMAs.
ResourceEstimate sweep_resources(const std::vector<SweepPoint>& points);

// Every combination of axis values as a validated config, first axis
// slowest. Errors name the point ("point 3 (iommu.iotlb.sets=0)") and the
// field; on any error `out` is left empty.
std::vector<ConfigError> expand_sweep(const SweepSpec& spec, std::vector<SweepPoint>& out);

// Checks the statistic names against what a platform registers.
std::vector<ConfigError> check_sweep_stats(const SweepSpec& spec, const PlatformConfig& sample);

// The CSV's header (point, then the axes, then the statistics) and a
// point's row, from its axis values and its stats.json; a local run and
// `sweep collect` build them alike.
std::string sweep_header(const SweepSpec& spec);
std::string sweep_row(std::size_t n, const std::vector<nlohmann::json>& values,
                      const std::vector<std::string>& stat_names, const nlohmann::json& stats);

// Runs every point in order. Calls `record` with the CSV's header (point,
// then the axes, then the statistics), then with each point's row as soon
// as that point has run (csv.h: RFC 4180, LF line ends). The point column
// counts from 0, as `point N` in errors does; with `out_dir`, each point's
// stats.json is written to out_dir/point-<n>/ before its row is passed on.
void run_sweep(const SweepSpec& spec, const std::vector<SweepPoint>& points,
               const std::filesystem::path& out_dir,
               const std::function<void(const std::string& record)>& record);

// The same, returning the whole CSV.
std::string run_sweep(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                      const std::filesystem::path& out_dir);

}  // namespace iommu_sim
