// The iommu-sim command line.
//   iommu-sim                         run the embedded default platform
//   iommu-sim --config F --out D      run a platform from JSON, write D/stats.json
//   iommu-sim sweep FILE [--out D] [--jobs N] [--resume]  run a parameter sweep, print a CSV
//   iommu-sim sweep plan FILE --out D  one config per point, for GNU parallel or Slurm
//   iommu-sim sweep collect D          merge the points' stats.json into sweep.csv
//   iommu-sim plot CSV --x C --y C [--by C] -o OUT.png|.svg
//                                     draw a line plot of a CSV with gnuplot
//   iommu-sim run FILE [--out D] [--without-bugs]
//                                     run a scenario; exit 1 if an expectation fails
//   iommu-sim replay TRACE [--config F] [--out D] [--timing honour|asap]
//                                     replay a DMA trace in place of the workloads
//   iommu-sim trace convert IN OUT    convert a trace between CSV and binary
//   (--record T, on a run or a replay, records every DMA into trace T)
//   iommu-sim explain --address A [--device D] [--pasid N] [--warm] [--json]
//                                     walk one DMA step by step
//   (--trace LIST [--trace-file F], on a run or a replay, prints events;
//    --timeline F.json [--timeline-window S:E] [--timeline-limit N], on a
//    run, a replay or a scenario, writes a Perfetto timeline)
//   iommu-sim topo [--config F]       print the PCI hierarchy and IOMMU groups
//   iommu-sim topo --import LSPCI [--groups G] [--out F.json]
//                                     a config skeleton from a machine's lspci -tv
//   iommu-sim params                  print docs/parameters.md
//   iommu-sim params --scenario-steps print the scenario action table
//   iommu-sim stats                   print docs/statistics.md
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <systemc>

#include "apps/cli_number.h"
#include "apps/config_overrides.h"
#include "apps/explain_command.h"
#include "apps/json_file.h"
#include "apps/plot_command.h"
#include "apps/reports.h"
#include "apps/resource_check.h"
#include "apps/run_control.h"
#include "apps/run_tracing.h"
#include "apps/scenario.h"
#include "apps/sweep.h"
#include "apps/sweep_command.h"
#include "apps/topo_import.h"
#include "apps/trace_commands.h"
#include "model/platform/platform.h"
#include "model/platform/resource_estimate.h"
#include "model/stats_stamp.h"
#include "pcie/expected_groups.h"
#include "pcie/topology_report.h"
#include "scenario/actions.h"

using namespace iommu_sim;

namespace {

constexpr int kExitConfigError = 2;

std::optional<PlatformConfig> load(const std::string& config_path,
                                   const std::vector<ConfigOverride>& overrides) {
  nlohmann::json j = nlohmann::json::object();
  if (!config_path.empty()) {
    auto read = read_json_file(config_path, "--config");
    if (!read) return std::nullopt;
    j = std::move(*read);
  }
  PlatformConfig config;
  const auto errors = load_config_with(j, overrides, config);
  for (const auto& e : errors) std::cerr << "iommu-sim: config error: " << e.to_string() << "\n";
  if (!errors.empty()) return std::nullopt;
  return config;
}

bool make_out_dir(const std::string& out_dir) {
  if (out_dir.empty()) return true;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec || !std::filesystem::is_directory(out_dir)) {
    std::cerr << "iommu-sim: --out: cannot create directory " << out_dir
              << (ec ? ": " + ec.message() : std::string()) << "\n";
    return false;
  }
  return true;
}

struct RunArgs {
  std::string config_path, out_dir, mode;
  std::vector<std::string> sets;  // --set
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  TraceOptions traces;
  TraceArgs tracing;
};

int run(const RunArgs& args) {
  auto loaded = load(args.config_path, overrides_of(args.sets));
  if (!loaded) return kExitConfigError;
  PlatformConfig config = std::move(*loaded);
  if (args.seed) config.seed = *args.seed;
  if (!args.mode.empty()) config.mode = args.mode;
  if (!check_resources(estimate_resources(config))) return kExitConfigError;
  RunTraces traces(args.traces);
  if (!traces.prepare(config)) return kExitConfigError;

  // Check --out before spending time on the run.
  if (!make_out_dir(args.out_dir)) return kExitConfigError;

  RunTracing tracing;
  if (!tracing.start(args.tracing)) return kExitConfigError;

  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  Platform platform(config);
  if (!traces.attach(platform)) return kExitConfigError;
  // Progress, SIGINT and SIGUSR1 (apps/run_control.h).
  const std::uint64_t total = expected_work(platform.config()) + traces.records();
  const auto errors = check_run_stats(platform, total);
  for (const auto& e : errors) std::cerr << "iommu-sim: config error: " << e.to_string() << "\n";
  if (!errors.empty()) return kExitConfigError;
  auto stats_of = [&] {
    nlohmann::json s = platform.stats_json();
    traces.describe(s);
    return s;
  };
  RunControl control(
      platform, {args.out_dir, progress_wanted(args.quiet), total, work_unit(platform.config())},
      stats_of, traces.replay());
  control.run();
  if (const int rc = traces.finish(); rc != 0) return rc;

  const nlohmann::json stats = stats_of();
  if (!args.quiet)
    print_summary(std::cout, platform, stats, control.wall_seconds(), traces.replay());
  if (!args.out_dir.empty() &&
      !(write_stats_json(args.out_dir, stats) && write_timeseries(args.out_dir, platform))) {
    return 1;
  }
  return finish_run(control, platform, args.out_dir);
}

// Prints the tree and the groups; with expect_groups, whether the groups
// are as the config expects (exit status 1 when not, as a scenario whose
// expectations fail).
int topo(const std::string& config_path) {
  const auto config = load(config_path, {});
  if (!config) return kExitConfigError;
  Topology t;
  build_topology(config->pcie, t);  // load_config validated it
  std::cout << topology_tree(t) << "\nIOMMU groups:\n" << iommu_groups_listing(t);
  if (config->expect_groups.empty()) return 0;
  const GroupComparison c =
      compare_expected_groups(t, split_expected_groups(config->expect_groups));
  std::cout << expected_groups_report(c);
  return c.differences.empty() ? 0 : 1;
}

int scenario(const std::string& file, const std::string& out_dir, bool quiet, bool without_bugs,
             const TraceArgs& tracing_args, const std::vector<ConfigOverride>& overrides) {
  const auto j = read_json_file(file, "run");
  if (!j) return kExitConfigError;
  ScenarioSpec spec;
  auto errors = parse_scenario(*j, std::filesystem::path(file).parent_path(), spec, overrides);
  if (without_bugs) switch_off_bugs(spec);
  if (errors.empty() && !check_resources(scenario_resources(spec))) return kExitConfigError;
  ScenarioReport report;
  RunTracing tracing;
  // The statistic names are checked on the built platform, before it runs.
  if (errors.empty()) {
    if (!make_out_dir(out_dir) || !tracing.start(tracing_args)) return kExitConfigError;
    errors = run_scenario(spec, report);
  }
  if (!errors.empty()) {
    for (const auto& e : errors) {
      std::cerr << "iommu-sim: scenario error: " << e.to_string() << "\n";
    }
    return kExitConfigError;
  }
  if (!quiet || !report.passed()) print_scenario_report(std::cout, spec, report);
  if (!out_dir.empty()) {
    std::ofstream out(std::filesystem::path(out_dir) / "stats.json");
    if (!(out << report.stats_json.dump(2) << "\n")) {
      std::cerr << "iommu-sim: --out: cannot write " << out_dir << "/stats.json\n";
      return 1;
    }
  }
  return report.passed() ? 0 : 1;
}

// The options a run and a replay share; returns --seed, which only
// overrides the config when given.
CLI::Option* add_run_options(CLI::App& app, RunArgs& args, std::uint64_t& seed) {
  app.add_option("--config", args.config_path, "platform and workload JSON file")
      ->check(CLI::ExistingFile);
  app.add_option("--out", args.out_dir,
                 "directory to write stats.json (and stats-timeseries.csv) into");
  app.add_flag("--quiet", args.quiet, "do not print the summary nor the progress line");
  app.add_option("--record", args.traces.record,
                 "record every DMA the functions issue into this trace (.csv or .bin)");
  app.add_option("--trace", args.tracing.categories,
                 "print one line per event of these categories (walk,iotlb,psc,context,pasid,qi,"
                 "fault,ats,fabric,memory,host,oracle or all; docs/tracing.md)");
  app.add_option("--trace-file", args.tracing.file, "write --trace lines here instead of stdout");
  add_timeline_options(app, args.tracing);
  add_set_option(app, args.sets);
  // The config's seed field's range (model/platform/platform_config.h).
  return app.add_option("--seed", seed, "seed for all randomness (overrides config)")
      ->check(unsigned_param({.name = "seed", .min = 0, .max = kDefaultParamMax}));
}

int command(int argc, char** argv) {
  CLI::App app{"iommu-sim: DMA translation through a VT-d-like IOMMU, on SystemC/TLM-2.0"};
  app.set_version_flag("--version", "iommu-sim " + std::string(simulator_version()));
  RunArgs run_args, replay_args;
  std::vector<std::string> sets;  // --set of the scenario run, sweep and explain
  std::uint64_t seed_value = 0, replay_seed = 0;
  auto* seed_opt = add_run_options(app, run_args, seed_value);
  app.add_option("--mode", run_args.mode, "timed or functional (overrides config)")
      ->check(CLI::IsMember({"timed", "functional"}));
  auto* params_cmd = app.add_subcommand("params", "print the parameter reference (Markdown)");
  bool scenario_steps = false;
  params_cmd->add_flag("--scenario-steps", scenario_steps,
                       "print docs/scenarios.md's table of scenario actions instead");
  auto* stats_cmd = app.add_subcommand("stats", "print the statistics reference (Markdown)");
  std::string topo_config;
  TopoImportArgs import_args;
  auto* topo_cmd = app.add_subcommand(
      "topo", "print the enumerated PCI hierarchy (lspci -tv style) and the IOMMU groups");
  auto* topo_config_opt =
      topo_cmd->add_option("--config", topo_config, "platform JSON file")->check(CLI::ExistingFile);
  auto* import_opt = topo_cmd->add_option(
      "--import", import_args.tree_file,
      "write a config skeleton from this lspci -tv / -tvnn output (or a topo printout) instead");
  import_opt->excludes(topo_config_opt);
  topo_cmd
      ->add_option("--groups", import_args.groups_file,
                   "with --import: the machine's IOMMU group listing (docs/topology.md)")
      ->needs(import_opt);
  topo_cmd->add_option("--out", import_args.out, "with --import: write the skeleton here")
      ->needs(import_opt);
  SweepArgs sweep_args;
  const SweepCommands sweep_cmds = add_sweep_command(app, sweep_args, sets);
  PlotArgs plot_args;
  auto* plot_cmd = add_plot_command(app, plot_args);
  std::string scenario_file, scenario_out;
  bool scenario_quiet = false, scenario_without_bugs = false;
  TraceArgs scenario_tracing;
  auto* run_cmd = app.add_subcommand(
      "run",
      "run a scenario (timeline of host calls and DMAs with expected outcomes); exit 1 "
      "when an expectation is not met");
  run_cmd->add_option("file", scenario_file, "scenario file (JSON: platform, steps, expect_stats)")
      ->required()
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--out", scenario_out, "directory to write stats.json into");
  run_cmd->add_flag("--quiet", scenario_quiet, "print the report only when the scenario fails");
  run_cmd->add_option("--trace", scenario_tracing.categories,
                      "print one line per event of these categories (docs/tracing.md)");
  run_cmd->add_option("--trace-file", scenario_tracing.file,
                      "write --trace lines here instead of stdout");
  add_set_option(*run_cmd, sets);
  run_cmd->add_flag("--without-bugs", scenario_without_bugs,
                    "switch every modelled bug off and expect no oracle violation instead of "
                    "the scenario's statistics");
  add_timeline_options(*run_cmd, scenario_tracing);
  auto* replay_cmd = app.add_subcommand(
      "replay", "replay a DMA trace (docs/trace.md) on a platform, in place of its workloads");
  replay_cmd->add_option("trace", replay_args.traces.replay, "trace file (.csv or binary)")
      ->required()
      ->check(CLI::ExistingFile);
  auto* replay_seed_opt = add_run_options(*replay_cmd, replay_args, replay_seed);
  replay_cmd
      ->add_option("--timing", replay_args.traces.timing,
                   "honour: each DMA at its timestamp; asap: as fast as the tags allow")
      ->check(CLI::IsMember({"honour", "asap"}));
  ExplainArgs explain_args;
  auto* explain_cmd = add_explain_command(app, explain_args);
  add_set_option(*explain_cmd, sets);
  std::string convert_in, convert_out;
  auto* trace_cmd = app.add_subcommand("trace", "trace tools (docs/trace.md)");
  trace_cmd->require_subcommand(1);
  auto* convert_cmd = trace_cmd->add_subcommand(
      "convert", "convert a trace between CSV and binary (OUT's extension: .csv or .bin)");
  convert_cmd->add_option("in", convert_in, "trace to read")->required()->check(CLI::ExistingFile);
  convert_cmd->add_option("out", convert_out, "trace to write")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitConfigError;
  }
  if (*params_cmd) {
    std::cout << (scenario_steps ? actions_markdown() : parameters_markdown());
    return 0;
  }
  if (*stats_cmd) {
    std::cout << statistics_markdown();
    return 0;
  }
  if (*topo_cmd) return *import_opt ? topo_import_command(import_args) : topo(topo_config);
  if (*run_cmd) {
    sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
    return scenario(scenario_file, scenario_out, scenario_quiet, scenario_without_bugs,
                    scenario_tracing, overrides_of(sets));
  }
  if (*sweep_cmds.sweep) {
    sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
    sweep_args.overrides = overrides_of(sets);
    return sweep_command(sweep_cmds, sweep_args);
  }
  if (*convert_cmd) return convert_command(convert_in, convert_out);
  if (*explain_cmd) {
    explain_args.overrides = overrides_of(sets);
    return explain_command(explain_args);
  }
  if (*plot_cmd) return plot_command(plot_args, std::cerr);
  if (*replay_cmd) {
    if (*replay_seed_opt) replay_args.seed = replay_seed;
    return run(replay_args);
  }
  if (*seed_opt) run_args.seed = seed_value;
  return run(run_args);
}

}  // namespace

// Every input is checked where it is read; this is the net below those
// checks, so that nothing a user gives ends in SystemC's "uncaught
// exception" banner or an abort.
int sc_main(int argc, char** argv) {
  try {
    return command(argc, argv);
  } catch (const std::bad_alloc&) {
    std::cerr << "iommu-sim: error: out of host memory; make the caches, mappings or run "
                 "smaller\n";
  } catch (const std::exception& e) {
    std::cerr << "iommu-sim: error: " << e.what() << "\n";
  }
  return kExitConfigError;
}
