// What the platform asks of every device model's driver, whatever the
// device: the work it has completed (I/Os, packets).
#pragma once

#include <cstdint>

namespace iommu_sim {

class DeviceDriver {
 public:
  virtual ~DeviceDriver() = default;
  virtual std::uint64_t completed() const = 0;
};

}  // namespace iommu_sim
