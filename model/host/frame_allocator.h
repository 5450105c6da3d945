// Hands out 4 KiB-aligned physical ranges from a region, upward. Simulated
// memory is sparse, so an allocated range costs host memory only once it is
// written.
#pragma once

#include <cstdint>

namespace iommu_sim {

class FrameAllocator {
 public:
  explicit FrameAllocator(std::uint64_t base) : next_(base) {}
  // `bytes` rounded up to 4 KiB; aligned to `align` (a power of two >= 4 KiB).
  std::uint64_t allocate(std::uint64_t bytes, std::uint64_t align = 4096) {
    const std::uint64_t start = (next_ + align - 1) & ~(align - 1);
    next_ = start + ((bytes + 4095) & ~4095ull);
    return start;
  }
  std::uint64_t next() const { return next_; }

 private:
  std::uint64_t next_;
};

}  // namespace iommu_sim
