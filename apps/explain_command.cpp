#include "apps/explain_command.h"

#include <fstream>
#include <iostream>

#include "apps/cli_number.h"
#include "apps/json_file.h"
#include "apps/resource_check.h"
#include "apps/scenario.h"
#include "model/config_loader.h"

namespace iommu_sim {

namespace {
constexpr int kExitConfigError = 2;

std::optional<PlatformConfig> platform_of(const ExplainArgs& args) {
  PlatformConfig config;
  if (!args.scenario.empty()) {
    const auto j = read_json_file(args.scenario, "--scenario");
    if (!j) return std::nullopt;
    ScenarioSpec spec;
    const auto errors = parse_scenario(*j, std::filesystem::path(args.scenario).parent_path(), spec,
                                       args.overrides);
    for (const auto& e : errors)
      std::cerr << "iommu-sim: scenario error: " << e.to_string() << "\n";
    if (!errors.empty()) return std::nullopt;
    return spec.platform;
  }
  nlohmann::json j = nlohmann::json::object();
  if (!args.config.empty()) {
    auto read = read_json_file(args.config, "--config");
    if (!read) return std::nullopt;
    j = std::move(*read);
  }
  const auto errors = load_config_with(j, args.overrides, config);
  for (const auto& e : errors) std::cerr << "iommu-sim: config error: " << e.to_string() << "\n";
  if (!errors.empty()) return std::nullopt;
  return config;
}
}  // namespace

CLI::App* add_explain_command(CLI::App& app, ExplainArgs& args) {
  auto* cmd = app.add_subcommand(
      "explain",
      "walk one DMA step by step: cache probes, structure reads decoded, rights, faults, and "
      "the time of each step (docs/tracing.md)");
  auto* config =
      cmd->add_option("--config", args.config, "platform JSON file")->check(CLI::ExistingFile);
  cmd->add_option("--scenario", args.scenario,
                  "take the platform of this scenario file (its steps are not run)")
      ->check(CLI::ExistingFile)
      ->excludes(config);
  cmd->add_option("--device", args.request.device,
                  "the function that issues the DMA (default: the only one)");
  cmd->add_option("--address", args.request.address, "the DMA's address (0x... accepted)")
      ->required()
      ->check(unsigned_param({.name = "address", .min = 0, .max = 0x1p64}));
  // A PASID is 20 bits (PCIe Base spec 6.20.2.1).
  auto* pasid = cmd->add_option("--pasid", args.pasid,
                                "PASID to send (default: the device's first attach[] entry's)")
                    ->check(unsigned_param({.name = "pasid", .min = 0, .max = (1u << 20) - 1}));
  cmd->add_flag("--no-pasid", args.no_pasid, "send the request without PASID (RID_PASID)")
      ->excludes(pasid);
  cmd->add_flag("--write", args.request.write, "a write instead of a read");
  cmd->add_option("--size", args.request.size, "bytes (1 to 4096, within one 4 KiB page)")
      ->check(unsigned_param({.name = "size", .min = 1, .max = 4096}));
  cmd->add_flag("--privileged", args.request.privileged, "Privileged Mode Requested");
  cmd->add_flag("--execute", args.request.execute, "Execute Requested");
  cmd->add_flag("--warm", args.request.warm,
                "run the config's workloads and device models first, then explain the DMA");
  cmd->add_option("--mode", args.mode, "timed or functional (overrides config)")
      ->check(CLI::IsMember({"timed", "functional"}));
  cmd->add_flag("--json", args.json, "print the steps as JSON");
  return cmd;
}

int explain_command(const ExplainArgs& args) {
  auto config = platform_of(args);
  if (!config) return kExitConfigError;
  if (!args.mode.empty()) config->mode = args.mode;
  ResourceEstimate resources = estimate_resources(*config);
  if (!args.request.warm) resources.dmas = 1;  // the workloads run only to warm
  if (!check_resources(resources)) return kExitConfigError;
  ExplainRequest request = args.request;
  request.pasid = args.pasid;
  request.pasid_from_attach = !args.pasid && !args.no_pasid;
  if ((request.address & 0xfff) + request.size > 0x1000) {
    std::cerr << "iommu-sim: explain: --address " << request.address << " with --size "
              << request.size << " crosses a 4 KiB boundary (PCIe Base spec 2.2.7)\n";
    return kExitConfigError;
  }
  const Explanation e = explain(*config, request);
  if (!e.error.empty()) {
    std::cerr << "iommu-sim: explain: " << e.error << "\n";
    return kExitConfigError;
  }
  if (args.json) {
    std::cout << explanation_json(e).dump(2) << "\n";
  } else {
    print_explanation(std::cout, e);
  }
  return 0;
}

}  // namespace iommu_sim
