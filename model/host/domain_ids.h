// Domain IDs as Linux's intel-iommu hands them out (domain_ida: from 1 to
// cap_ndoms - 1; 0 is reserved, VT-d spec 11.4.2 CAP.ND), the lowest free
// one first (ida_alloc_range). Two domains must never share an ID: the
// IOTLB and paging-structure caches are tagged with it, so a shared ID
// would let one domain's DMA use the other's cached translations. When
// none is left, allocation fails (the caller returns ENOSPC) instead of
// wrapping. An ID goes back (release) when its domain is destroyed, as
// Linux's domain_detach_iommu frees it; the caller first makes sure no
// cache holds an entry tagged with it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>

namespace iommu_sim {

class DomainIds {
 public:
  // `nd`: CAP.ND, the IOMMU supports 2^(4 + 2 * nd) domain IDs.
  explicit DomainIds(unsigned nd) : count_(1u << (4 + 2 * nd)) {}
  std::optional<std::uint16_t> allocate() {
    if (!released_.empty()) return released_.extract(released_.begin()).value();
    if (next_ >= count_) return std::nullopt;
    return static_cast<std::uint16_t>(next_++);
  }
  bool allocate_would_succeed() const { return !released_.empty() || next_ < count_; }
  void release(std::uint16_t id) { released_.insert(id); }
  // How many the IOMMU offers for domains (0 excluded).
  std::uint32_t capacity() const { return count_ - 1; }

 private:
  std::uint32_t count_;
  std::uint32_t next_ = 1;            // IDs from here up were never handed out
  std::set<std::uint16_t> released_;  // below next_, free again
};

}  // namespace iommu_sim
