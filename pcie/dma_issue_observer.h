// An observation port of the endpoints: every DMA a function's engine
// hands to its endpoint, from any source (workload, trace replay, scenario
// step, test probe), as it enters. The trace recorder listens here; with no
// observer attached the cost is one branch per DMA.
#pragma once

#include <cstdint>

namespace iommu_sim {

struct IssuedDma {
  std::uint64_t time_ps = 0;  // simulated time plus the request's annotated delay
  std::uint64_t address = 0;  // as the engine sent it (an IOVA, untranslated)
  std::uint32_t size = 0;
  bool pasid_present = false;
  std::uint32_t pasid = 0;
  bool write = false;
};

class DmaIssueObserver {
 public:
  virtual ~DmaIssueObserver() = default;
  // `function` is the index the observer was attached with
  // (Endpoint::set_issue_observer).
  virtual void issued(std::uint16_t function, const IssuedDma& dma) = 0;
};

}  // namespace iommu_sim
