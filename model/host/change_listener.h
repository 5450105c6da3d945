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
  // A lazy unmap of [lo, hi) returned to its caller before its change
  // settled: from now until settled(), a DMA that still uses the old
  // translation is the exposure lazy mode accepts (Linux iommu.strict=0).
  virtual void unmap_returned(std::uint16_t /*rid*/, std::uint32_t /*pasid*/, std::uint64_t /*lo*/,
                              std::uint64_t /*hi*/) {}
};

}  // namespace iommu_sim
