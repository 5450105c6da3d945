// An observation port of the fabric: every request it delivers to a peer
// function's BAR itself, below a switch or on a conventional bus, without
// the IOMMU seeing it. Verification components (the isolation oracle)
// listen here; with no observer attached the cost is one branch per
// peer-to-peer request.
#pragma once

#include <tlm>

#include "model/pcie_attrs.h"

namespace iommu_sim {

class PeerAccessObserver {
 public:
  virtual ~PeerAccessObserver() = default;
  // Function node `source` (topology index) reached the BAR of function
  // node `target` with `p` (address, direction, attributes as sent).
  virtual void peer_access(int source, int target, const tlm::tlm_generic_payload& p,
                           const PcieAttrs& attrs) = 0;
};

}  // namespace iommu_sim
