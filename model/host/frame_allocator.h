// Hands out 4 KiB-aligned physical ranges from a region, upward. Simulated
// memory is sparse, so an allocated range costs host memory only once it is
// written. Single frames given back (page-table pages the host freed) are
// handed out again first, most recent first, as a page allocator's hot
// list would.
#pragma once

#include <cstdint>
#include <vector>

namespace iommu_sim {

class FrameAllocator {
 public:
  explicit FrameAllocator(std::uint64_t base) : next_(base) {}
  // `bytes` rounded up to 4 KiB; aligned to `align` (a power of two >= 4 KiB).
  std::uint64_t allocate(std::uint64_t bytes, std::uint64_t align = 4096) {
    if (bytes <= 4096 && align <= 4096 && !released_.empty()) {
      const std::uint64_t frame = released_.back();
      released_.pop_back();
      return frame;
    }
    const std::uint64_t start = (next_ + align - 1) & ~(align - 1);
    next_ = start + ((bytes + 4095) & ~4095ull);
    return start;
  }
  std::uint64_t next() const { return next_; }
  // Gives a 4 KiB frame back for reuse.
  void release(std::uint64_t frame) { released_.push_back(frame); }

 private:
  std::uint64_t next_;
  std::vector<std::uint64_t> released_;
};

}  // namespace iommu_sim
