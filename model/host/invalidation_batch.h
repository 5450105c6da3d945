// Invalidation descriptors gathered for one submission and one wait, as
// Linux's qi_batch does since 6.12 (drivers/iommu/intel/cache.c): a flush
// that touches several devices of a domain posts each descriptor once
// (devices sharing a domain and PASID share its IOTLB descriptor) and
// waits once, so the devices' ATC invalidations overlap.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace iommu_sim {

class InvalidationBatch {
 public:
  using Descriptor = std::array<std::uint64_t, 2>;

  void add(const Descriptor& d) {
    if (std::find(descriptors_.begin(), descriptors_.end(), d) == descriptors_.end()) {
      descriptors_.push_back(d);
    }
  }
  std::span<const Descriptor> descriptors() const { return descriptors_; }
  bool empty() const { return descriptors_.empty(); }

 private:
  std::vector<Descriptor> descriptors_;
};

}  // namespace iommu_sim
