// Invalidation descriptors gathered for one flush, as Linux's qi_batch
// does since 6.12 (drivers/iommu/intel/cache.c): a flush that touches
// several devices of a domain posts each descriptor once (devices sharing
// a domain and PASID share its IOTLB descriptor) and waits once per
// kMaxPerSubmission descriptors, so the devices' ATC invalidations overlap.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace iommu_sim {

class InvalidationBatch {
 public:
  using Descriptor = std::array<std::uint64_t, 2>;
  // Linux's struct qi_batch holds QI_MAX_BATCHED_DESC_COUNT descriptors and
  // is submitted, with its wait, whenever it fills (qi_batch_increment_index):
  // a flush of an IOAS attached at hundreds of PASIDs takes several
  // submissions, never more slots than the 128-slot queue has.
  static constexpr std::size_t kMaxPerSubmission = 16;

  void add(const Descriptor& d) {
    if (std::find(descriptors_.begin(), descriptors_.end(), d) == descriptors_.end()) {
      descriptors_.push_back(d);
    }
  }
  std::span<const Descriptor> descriptors() const { return descriptors_; }

 private:
  std::vector<Descriptor> descriptors_;
};

}  // namespace iommu_sim
