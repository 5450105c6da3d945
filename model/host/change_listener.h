// What the host tells a verification component about the translations it
// changes: a change of what (requester ID, PASID) may reach in [lo, hi)
// has begun (a PTE or PASID entry is about to be written), and later that
// it is settled (the invalidations for it completed: from now on no DMA
// may use the old translation). The ordering oracle listens; the hardware
// never sees any of this.
#pragma once

#include <cstdint>

namespace iommu_sim {

class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void changing(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                        std::uint64_t hi) = 0;
  virtual void settled(std::uint16_t rid, std::uint32_t pasid, std::uint64_t lo,
                       std::uint64_t hi) = 0;
};

}  // namespace iommu_sim
