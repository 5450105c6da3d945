// The manager's objects as iommufd keeps them in a file: which context's
// objects a call may name, the automatic HWPT an attachment to an IOAS
// uses, and what destroying an object frees (its domain ID) and what
// closing a context destroys.
#include <algorithm>
#include <vector>

#include "model/host/ioasid_manager.h"

namespace iommu_sim {

IoasId IoasidManager::lookup(ContextId ctx, IoasId id) const {
  if (auto a = auto_hwpts_.find(id); a != auto_hwpts_.end()) id = a->second;
  if (auto it = spaces_.find(id); it != spaces_.end()) {
    return visible(ctx, it->second->options.owner) ? id : 0;
  }
  if (auto it = hwpts_.find(id); it != hwpts_.end())
    return visible(ctx, it->second->owner) ? id : 0;
  return 0;
}

HwptId IoasidManager::pt_of(IoasId target) const {
  if (auto it = spaces_.find(target); it != spaces_.end()) return it->second->auto_hwpt;
  return target;
}

Status IoasidManager::check_dirty_tracking_pasid(IoasId target, std::uint32_t pasid) const {
  auto it = hwpts_.find(target);
  if (pasid == 0 || it == hwpts_.end()) return Status::success();
  // Intel's driver offers dirty tracking on RID_PASID only: a paging
  // domain with dirty_ops, or a nested one on such a parent, is refused
  // for any other PASID (intel_iommu_set_dev_pasid,
  // intel_nested_set_dev_pasid).
  const Hwpt& h = *it->second;
  const bool dirty = h.table ? h.dirty_tracking : hwpts_.at(h.parent)->dirty_tracking;
  if (!dirty) return Status::success();
  return Status::error(EINVAL, "HWPT " + std::to_string(target) +
                                   (h.table ? " tracks" : "'s parent tracks") +
                                   " dirty pages: only PASID 0 (RID_PASID) may use it, not " +
                                   std::to_string(pasid));
}

void IoasidManager::update_auto_hwpt(IoasId target) {
  auto it = spaces_.find(target);
  if (it == spaces_.end()) return;
  AddressSpace& as = *it->second;
  // iommufd_device_auto_get_domain creates the automatic domain for the
  // first attachment; iommufd_hw_pagetable_put destroys it with the last.
  if (!as.attached.empty() && as.auto_hwpt == 0) {
    as.auto_hwpt = next_id_++;
    auto_hwpts_.emplace(as.auto_hwpt, target);
  } else if (as.attached.empty() && as.auto_hwpt != 0) {
    auto_hwpts_.erase(as.auto_hwpt);
    as.auto_hwpt = 0;
  }
}

Status IoasidManager::flush_domain(std::uint16_t did, bool ever_attached) {
  // Each detach flushed its PASID (PASID-based, which leaves the
  // second-level paging-structure caches alone); a domain-selective IOTLB
  // invalidation drops every IOTLB and paging-structure cache entry of the
  // domain (VT-d spec 6.5.2.3), as Linux's intel_pasid_tear_down_entry
  // does for second-level domains, before the ID may name another domain.
  // A domain no device used has nothing cached (Linux allocates its ID
  // only at attach, domain_attach_iommu).
  if (!ever_attached) return Status::success();
  return driver_.flush_range(did, 0, 0, 1ull << 62, /*second_level_only=*/true);
}

Status IoasidManager::destroy_owned(ContextId ctx) {
  // iommufd_fops_release: pass over the objects in ID order destroying
  // each that nothing uses any more, until none is left. Its devices were
  // detached above, so every pass destroys something: a context's objects
  // refer only to its own and the platform's.
  for (;;) {
    std::vector<IoasId> owned;
    for (const auto& [id, as] : spaces_) {
      if (as->options.owner == ctx) owned.push_back(id);
    }
    for (const auto& [id, h] : hwpts_) {
      if (h->owner == ctx) owned.push_back(id);
    }
    if (owned.empty()) return Status::success();
    std::sort(owned.begin(), owned.end());
    bool destroyed = false;
    for (IoasId id : owned) {
      Status s = spaces_.contains(id) ? destroy_ioas(id) : destroy_hwpt(id);
      if (s.code == EBUSY) continue;
      if (!s.ok()) return s;
      destroyed = true;
    }
    if (!destroyed) {
      return Status::error(EBUSY, "context " + std::to_string(ctx) + "'s object " +
                                      std::to_string(owned.front()) + " is still in use");
    }
  }
}

}  // namespace iommu_sim
