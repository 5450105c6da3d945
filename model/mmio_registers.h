// A device's registers as host software writes them: a posted MMIO write
// to an offset of the device's BAR (a doorbell). The host pays the CPU
// time of the store; the device acts on it after the write has travelled
// down the hierarchy (its own parameter). Reads are not modelled: the
// drivers here never read device registers on their fast paths.
#pragma once

#include <cstdint>

namespace iommu_sim {

class MmioRegisters {
 public:
  virtual ~MmioRegisters() = default;
  virtual void mmio_write(std::uint64_t offset, std::uint32_t value) = 0;
};

}  // namespace iommu_sim
