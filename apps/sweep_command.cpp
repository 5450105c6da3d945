#include "apps/sweep_command.h"

#include <stdlib.h>

#include <fstream>
#include <iostream>

#include "apps/resource_check.h"
#include "apps/sweep_jobs.h"

namespace iommu_sim {

namespace {

constexpr int kExitConfigError = 2;

int refuse(const std::vector<ConfigError>& errors) {
  for (const auto& e : errors) std::cerr << "iommu-sim: sweep error: " << e.to_string() << "\n";
  return kExitConfigError;
}

// Reads the sweep and builds every point's config; errors: nothing runs.
std::vector<ConfigError> prepare(const SweepArgs& args, SweepSpec& spec,
                                 std::vector<SweepPoint>& points) {
  auto errors = load_sweep_file(args.file, spec);
  spec.overrides = args.overrides;
  if (errors.empty()) errors = expand_sweep(spec, points);
  if (errors.empty()) errors = check_sweep_stats(spec, points.front().config);
  return errors;
}

// This program, for the commands a plan names.
std::string self() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("iommu-sim") : exe.string();
}

bool write_csv(const std::filesystem::path& file, const std::string& csv) {
  std::ofstream out(file);
  if (!(out << csv) || !out.flush()) {
    std::cerr << "iommu-sim: --out: cannot write " << file << "\n";
    return false;
  }
  return true;
}

int run_in_process(const SweepArgs& args, const SweepSpec& spec,
                   const std::vector<SweepPoint>& points) {
  std::ofstream csv_file;
  if (!args.out.empty()) {
    csv_file.open(std::filesystem::path(args.out) / "sweep.csv");
    if (!csv_file) {
      std::cerr << "iommu-sim: --out: cannot write " << args.out << "/sweep.csv\n";
      return 1;
    }
  }
  // Each row is flushed as its point ends: a long sweep can be watched, and
  // one that is stopped keeps the rows of the points it ran.
  run_sweep(spec, points, args.out, [&](const std::string& record) {
    std::cout << record << std::flush;
    if (csv_file.is_open()) csv_file << record << std::flush;
  });
  if (csv_file.is_open() && !csv_file) {
    std::cerr << "iommu-sim: --out: cannot write " << args.out << "/sweep.csv\n";
    return 1;
  }
  return 0;
}

// --jobs N: the plan in --out (or a directory of its own, removed after),
// its points run N at a time, rows printed in point order as they become
// available, the CSV collected from the points' stats.json files as
// `sweep collect` does.
int run_in_processes(const SweepArgs& args, const SweepSpec& spec,
                     const std::vector<SweepPoint>& points) {
  std::filesystem::path dir = args.out.empty() ? "" : std::filesystem::absolute(args.out);
  if (dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "iommu-sim-sweep-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "iommu-sim: cannot create a directory for the sweep's points\n";
      return 1;
    }
    dir = pattern;
  }
  const auto errors = write_sweep_plan(spec, points, dir, self(), {});
  if (!errors.empty()) return refuse(errors);
  // The CSV as `sweep collect` would build it from the same files, each
  // read once, as its row is printed.
  std::string csv = sweep_header(spec);
  std::cout << csv << std::flush;
  std::size_t printed = 0;
  auto print_ready = [&] {
    while (printed < points.size()) {
      const auto stats = complete_stats(dir, printed);
      if (!stats) break;
      const std::string row = sweep_row(printed, points[printed].values, spec.stats, *stats);
      std::cout << row << std::flush;
      csv += row;
      ++printed;
    }
  };
  const SweepJobsResult r =
      run_sweep_jobs(dir, args.jobs, args.resume, [&](std::size_t) { print_ready(); });
  print_ready();
  if (r.skipped > 0) {
    std::cerr << "iommu-sim: resumed: " << r.skipped << " of " << points.size()
              << " points had run and were kept\n";
  }
  int rc = 0;
  if (!r.error.empty()) {
    std::cerr << "iommu-sim: sweep: " << r.error << "\n";
    rc = 1;
  }
  for (const std::size_t n : r.failed) {
    std::cerr << "iommu-sim: sweep: point " << n << " failed; its output is in "
              << (point_dir(dir, n) / "run.log").string() << "\n";
    rc = 1;
  }
  if (rc == 0 && printed == points.size() && !args.out.empty()) {
    if (!write_csv(dir / "sweep.csv", csv)) rc = 1;
  }
  if (args.out.empty()) std::filesystem::remove_all(dir);
  return rc;
}

}  // namespace

SweepCommands add_sweep_command(CLI::App& app, SweepArgs& args, std::vector<std::string>& sets) {
  SweepCommands c;
  c.sweep = app.add_subcommand(
      "sweep", "run every combination of a sweep file's parameter values; print a CSV");
  c.sweep->add_option("file", args.file, "sweep file (JSON: base or config, sweep, stats)")
      ->check(CLI::ExistingFile);
  c.sweep->add_option("--out", args.out,
                      "directory for sweep.csv and point-<n>/stats.json of every run");
  c.sweep
      ->add_option("--jobs", args.jobs,
                   "run N points at once, each in a process of its own (same CSV as without)")
      ->check(CLI::Range(1u, 4096u));
  c.sweep->add_flag("--resume", args.resume,
                    "with --jobs and --out: keep the points that have run, run the rest");
  c.plan = c.sweep->add_subcommand(
      "plan",
      "write one config per point, commands.txt for GNU parallel and sweep.sbatch for Slurm");
  c.plan->add_option("file", args.file, "sweep file")->required()->check(CLI::ExistingFile);
  c.plan->add_option("--out", args.out, "directory for the plan")->required();
  c.plan->add_option("--slurm-time", args.slurm.time, "sbatch --time of each point's task");
  c.plan->add_option("--slurm-mem", args.slurm.mem, "sbatch --mem of each point's task");
  c.plan
      ->add_option("--slurm-max-running", args.slurm.max_running,
                   "at most this many array tasks at once (0: no limit)")
      ->check(CLI::Range(0u, 100000u));
  c.collect = c.sweep->add_subcommand(
      "collect", "merge a plan's point-<n>/stats.json files into its sweep.csv; print it");
  c.collect->add_option("dir", args.collect_dir, "the plan's directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  for (CLI::App* cmd : {c.sweep, c.plan}) add_set_option(*cmd, sets);
  return c;
}

int sweep_command(const SweepCommands& which, const SweepArgs& args) {
  if (*which.collect) {
    std::string csv;
    const auto errors = collect_sweep(args.collect_dir, csv);
    if (!errors.empty()) return refuse(errors);
    std::cout << csv;
    return write_csv(std::filesystem::path(args.collect_dir) / "sweep.csv", csv) ? 0 : 1;
  }
  if (args.file.empty()) return refuse({{"file", "a sweep file is required"}});
  if (args.resume && (args.jobs == 0 || args.out.empty())) {
    return refuse({{"--resume", "needs --jobs and --out: the points kept are the files in --out"}});
  }
  SweepSpec spec;
  std::vector<SweepPoint> points;
  const auto errors = prepare(args, spec, points);
  if (!errors.empty()) return refuse(errors);
  if (*which.plan) {
    // Absolute paths: the commands run from wherever parallel or Slurm starts them.
    const auto written =
        write_sweep_plan(spec, points, std::filesystem::absolute(args.out), self(), args.slurm);
    if (!written.empty()) return refuse(written);
    std::cout << "iommu-sim: " << points.size() << " points planned in " << args.out
              << ": parallel < " << (std::filesystem::path(args.out) / "commands.txt").string()
              << ", or sbatch " << (std::filesystem::path(args.out) / "sweep.sbatch").string()
              << "; then iommu-sim sweep collect " << args.out << "\n";
    return 0;
  }
  if (!check_resources(sweep_resources(points))) return kExitConfigError;
  if (!args.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.out, ec);
    if (ec || !std::filesystem::is_directory(args.out)) {
      std::cerr << "iommu-sim: --out: cannot create directory " << args.out << "\n";
      return kExitConfigError;
    }
  }
  return args.jobs == 0 ? run_in_process(args, spec, points) : run_in_processes(args, spec, points);
}

}  // namespace iommu_sim
