// The `iommu-sim explain` subcommand: its options, and the run.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include "apps/config_overrides.h"

#include "apps/config_overrides.h"
#include "apps/explain.h"

namespace iommu_sim {

struct ExplainArgs {
  std::string config, scenario, mode;
  ExplainRequest request;
  std::optional<std::uint32_t> pasid;
  bool no_pasid = false, json = false;
  std::vector<ConfigOverride> overrides;  // --set
};

CLI::App* add_explain_command(CLI::App& app, ExplainArgs& args);
// Exit status: 0 when the DMA was explained (whatever its outcome), 2 for
// bad arguments or config.
int explain_command(const ExplainArgs& args);

}  // namespace iommu_sim
