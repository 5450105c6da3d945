#include "apps/sweep_plan.h"

#include <fstream>
#include <sstream>

#include "model/json_input.h"

namespace iommu_sim {

namespace {

// Single quotes for the shell: the paths a plan names may hold spaces.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool write_file(const std::filesystem::path& file, const std::string& text,
                std::vector<ConfigError>& errors) {
  std::ofstream out(file);
  if (!(out << text) || !out.flush()) {
    errors.push_back({"--out", "cannot write " + file.string()});
    return false;
  }
  return true;
}

std::string point_command(const std::string& binary, const std::filesystem::path& dir,
                          std::size_t n) {
  const std::filesystem::path p = point_dir(dir, n);
  return quoted(binary) + " --config " + quoted((p / "config.json").string()) + " --out " +
         quoted(p.string()) + " --quiet";
}

// One array task per point: task n runs line n+1 of commands.txt, so the
// script and the list cannot disagree.
std::string sbatch_script(const std::filesystem::path& dir, std::size_t points,
                          const SlurmOptions& slurm) {
  std::ostringstream os;
  os << "#!/bin/sh\n"
     << "#SBATCH --job-name=iommu-sim-sweep\n"
     << "#SBATCH --array=0-" << points - 1;
  if (slurm.max_running > 0) os << "%" << slurm.max_running;
  os << "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
     << "#SBATCH --time=" << slurm.time << "\n#SBATCH --mem=" << slurm.mem << "\n"
     << "#SBATCH --output=" << (dir / "point-%a" / "slurm.log").string() << "\n"
     << "# Written by iommu-sim sweep plan; run with: sbatch " << (dir / "sweep.sbatch").string()
     << "\n"
     << "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" "
     << quoted((dir / "commands.txt").string()) << ")\n"
     << "exec sh -c \"$line\"\n";
  return os.str();
}

}  // namespace

std::filesystem::path point_dir(const std::filesystem::path& dir, std::size_t n) {
  return dir / ("point-" + std::to_string(n));
}

std::optional<nlohmann::json> complete_stats(const std::filesystem::path& dir, std::size_t n) {
  std::string error;
  auto stats = read_json(point_dir(dir, n) / "stats.json", error);
  if (!stats || !stats->is_object() || !stats->value("complete", false)) return std::nullopt;
  return stats;
}

bool point_done(const std::filesystem::path& dir, std::size_t n) {
  return complete_stats(dir, n).has_value();
}

std::vector<ConfigError> write_sweep_plan(const SweepSpec& spec,
                                          const std::vector<SweepPoint>& points,
                                          const std::filesystem::path& dir,
                                          const std::string& binary, const SlurmOptions& slurm) {
  std::vector<ConfigError> errors;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    return {{"--out", "cannot create directory " + dir.string()}};
  }
  nlohmann::json plan = {
      {"header", sweep_header(spec)}, {"stats", spec.stats}, {"points", nlohmann::json::array()}};
  std::string commands;
  for (std::size_t n = 0; n < points.size(); ++n) {
    const std::filesystem::path p = point_dir(dir, n);
    std::filesystem::create_directories(p, ec);
    PlatformConfig config = points[n].config;
    const std::string text = dump_config(config).dump(2) + "\n";
    // A point whose config changed since its stats.json was written has
    // not run: its old result must not be kept by a resume or collected.
    std::ifstream old(p / "config.json");
    const std::string before((std::istreambuf_iterator<char>(old)),
                             std::istreambuf_iterator<char>());
    if (before != text) std::filesystem::remove(p / "stats.json", ec);
    if (!write_file(p / "config.json", text, errors)) return errors;
    plan["points"].push_back(points[n].values);
    commands += point_command(binary, dir, n) + "\n";
  }
  if (write_file(dir / "commands.txt", commands, errors) &&
      write_file(dir / "sweep.sbatch", sbatch_script(dir, points.size(), slurm), errors)) {
    write_file(dir / "sweep.json", plan.dump(2) + "\n", errors);
  }
  return errors;
}

std::vector<ConfigError> collect_sweep(const std::filesystem::path& dir, std::string& csv) {
  std::string error;
  const auto plan = read_json(dir / "sweep.json", error);
  if (!plan) return {{"sweep.json", error}};
  const bool shaped = plan->is_object() && plan->contains("header") &&
                      (*plan)["header"].is_string() && plan->contains("stats") &&
                      (*plan)["stats"].is_array() && plan->contains("points") &&
                      (*plan)["points"].is_array();
  if (!shaped) {
    return {{(dir / "sweep.json").string(), "is not a plan written by iommu-sim sweep plan"}};
  }
  std::vector<std::string> stat_names;
  for (const auto& s : (*plan)["stats"]) {
    if (s.is_string()) stat_names.push_back(s.get<std::string>());
  }
  std::vector<ConfigError> errors;
  std::string out = (*plan)["header"].get<std::string>();
  const auto& points = (*plan)["points"];
  for (std::size_t n = 0; n < points.size(); ++n) {
    if (!points[n].is_array()) {
      return {{(dir / "sweep.json").string(), "is not a plan written by iommu-sim sweep plan"}};
    }
    const auto file = point_dir(dir, n) / "stats.json";
    const auto stats = read_json(file, error);
    if (!stats || !stats->is_object()) {
      errors.push_back({"point " + std::to_string(n), "has not run: " + error});
      continue;
    }
    if (!stats->value("complete", false)) {
      errors.push_back({"point " + std::to_string(n),
                        "did not finish (" + file.string() + " says \"complete\": false)"});
      continue;
    }
    out += sweep_row(n, points[n].get<std::vector<nlohmann::json>>(), stat_names, *stats);
  }
  if (errors.empty()) csv = std::move(out);
  return errors;
}

}  // namespace iommu_sim
