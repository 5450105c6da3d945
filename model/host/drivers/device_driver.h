// What every device model's driver shares: its way to the DMA API, the
// rate rule of its statistics, and what the platform asks of it (the work
// it has completed: I/Os, packets).
#pragma once

#include <cstdint>

#include "model/host/dma_api.h"

namespace iommu_sim {

// A driver's way to the DMA API for its device: dma_map and dma_unmap
// with the device's handle, or, when the host does not use the IOMMU
// (host.dma_remapping off, no DmaApi), physical addresses as they are.
class DeviceMapper {
 public:
  DeviceMapper() = default;
  DeviceMapper(DmaApi* dma, int handle) : dma_(dma), handle_(handle) {}
  // The bus address of [physical, +length), 0 when dma_map failed.
  std::uint64_t map(std::uint64_t physical, std::uint64_t length, bool device_writes) {
    if (dma_ == nullptr) return physical;
    const auto m = dma_->map(handle_, physical, length, device_writes);
    return m.status.ok() ? m.address : 0;
  }
  void unmap(std::uint64_t address, std::uint64_t length) {
    if (dma_ != nullptr) (void)dma_->unmap(handle_, address, length);
  }

 private:
  DmaApi* dma_ = nullptr;
  int handle_ = -1;
};

// What a device did per second of simulated time over [first_ps, last_ps]
// (its active time): events per second, and bytes in Gb/s; 0 for an empty
// window. Every device model's rate statistics use these.
inline double per_second(std::uint64_t count, std::uint64_t first_ps, std::uint64_t last_ps) {
  return last_ps <= first_ps
             ? 0.0
             : static_cast<double>(count) * 1e12 / static_cast<double>(last_ps - first_ps);
}
inline double gbps(std::uint64_t bytes, std::uint64_t first_ps, std::uint64_t last_ps) {
  return last_ps <= first_ps
             ? 0.0
             : static_cast<double>(bytes) * 8.0 * 1000.0 / static_cast<double>(last_ps - first_ps);
}

class DeviceDriver {
 public:
  virtual ~DeviceDriver() = default;
  virtual std::uint64_t completed() const = 0;
};

}  // namespace iommu_sim
