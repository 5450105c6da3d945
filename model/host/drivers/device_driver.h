// What the platform asks of every device model's driver, whatever the
// device: the work it has completed (I/Os, packets).
#pragma once

#include <cstdint>

namespace iommu_sim {

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
