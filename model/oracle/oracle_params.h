#pragma once

#include <cstdint>

#include "model/param.h"

namespace iommu_sim {

struct OracleParams {
  bool enabled = false;
  std::uint32_t max_listed = 20;

  template <class V>
  void visit(V& v) {
    v(enabled,
      {"enabled", "",
       "off for runs (it walks the tables in memory once per DMA: see README speed); "
       "scenarios and tests turn it on",
       "Check every translated DMA against the tables in memory and the host's settled "
       "changes (docs/oracles.md): a DMA that uses a translation the host has finished "
       "removing, or reaches memory its requester was never given, is a violation."},
      "oracle.checked, oracle.violations.*");
    v(max_listed,
      {"max_listed", "violations", "20: enough to see a pattern, short enough to read",
       "Violations kept with their provenance for the terminal and stats.json (all are "
       "counted).",
       0, 1u << 20},
      "the oracle section of stats.json");
  }
};

}  // namespace iommu_sim
