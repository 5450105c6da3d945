// `iommu-sim explain`: one DMA walked step by step. The platform of a
// config (or of a scenario) is built with its caches cold, or warmed by its
// own workloads first (--warm); then one DMA from a chosen function is
// issued with every trace category on, and each event it caused becomes a
// step: cache probes with set and tag, structure reads with address, raw
// value and decoded fields, the rights accumulated, the PSC level a walk
// resumed from, the fault with its reason, meaning and spec section, and
// the time each step took, whose running sum ends at the DMA's latency.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "model/platform/platform_config.h"
#include "model/trace.h"

namespace iommu_sim {

struct ExplainRequest {
  std::string device;                  // a function's name (topo lists them); empty: the only one
  std::optional<std::uint32_t> pasid;  // none: a request without PASID
  // Send the PASID of the device's first attach[] entry (none if it has none).
  bool pasid_from_attach = false;
  std::uint64_t address = 0;
  bool write = false;
  std::uint32_t size = 64;
  bool privileged = false, execute = false;
  bool warm = false;  // run the config's workloads and device models first
};

struct ExplainStep {
  std::uint64_t time_ps = 0;
  std::int64_t delta_ps = 0;  // since the previous step (the first: since the issue)
  trace::Category category = trace::Category::Fabric;
  std::string what, text;
  std::vector<std::pair<std::string, std::uint64_t>> fields;
  std::string note;  // what the model adds: rights accumulated so far
};

struct Explanation {
  std::string error;  // set when the request could not be issued
  ExplainRequest request;
  std::uint64_t issued_ps = 0, completed_ps = 0;
  bool ok = false;
  std::string completion;  // "success", "Unsupported Request", "Completer Abort"
  std::vector<ExplainStep> steps;
  std::uint64_t latency_ps() const { return completed_ps - issued_ps; }
};

// Builds the platform of `config` on a fresh kernel and explains one DMA.
Explanation explain(PlatformConfig config, const ExplainRequest& request);

void print_explanation(std::ostream& os, const Explanation& e);
nlohmann::json explanation_json(const Explanation& e);

}  // namespace iommu_sim
