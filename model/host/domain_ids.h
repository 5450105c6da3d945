// Domain IDs as Linux's intel-iommu hands them out (domain_ida: from 1 to
// cap_ndoms - 1; 0 is reserved, VT-d spec 11.4.2 CAP.ND). Two domains
// must never share an ID: the IOTLB and paging-structure caches are tagged
// with it, so a shared ID would let one domain's DMA use the other's
// cached translations. When none is left, allocation fails (the caller
// returns ENOSPC) instead of wrapping. IDs are not reused after a domain
// is destroyed: the model never frees what a cache may still hold a tag
// of, as it never reuses table frames.
#pragma once

#include <cstdint>
#include <optional>

namespace iommu_sim {

class DomainIds {
 public:
  // `nd`: CAP.ND, the IOMMU supports 2^(4 + 2 * nd) domain IDs.
  explicit DomainIds(unsigned nd) : count_(1u << (4 + 2 * nd)) {}
  std::optional<std::uint16_t> allocate() {
    if (next_ >= count_) return std::nullopt;
    return static_cast<std::uint16_t>(next_++);
  }
  bool allocate_would_succeed() const { return next_ < count_; }
  // How many the IOMMU offers for domains (0 excluded).
  std::uint32_t capacity() const { return count_ - 1; }

 private:
  std::uint32_t count_;
  std::uint32_t next_ = 1;
};

}  // namespace iommu_sim
