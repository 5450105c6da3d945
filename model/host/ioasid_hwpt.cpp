// Hardware page table objects (iommufd's IOMMU_HWPT_ALLOC, _INVALIDATE):
// paging HWPTs that mirror an IOAS in a table and domain of their own, and
// nested HWPTs whose first-level table belongs to the user.
#include <algorithm>
#include <limits>

#include "iommu/formats/vtd_registers.h"
#include "model/hex.h"
#include "model/host/host_trace.h"
#include "model/host/ioasid_manager.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

IoasidManager::Hwpt* IoasidManager::find_hwpt(HwptId id) {
  auto it = hwpts_.find(id);
  return it == hwpts_.end() ? nullptr : it->second.get();
}

IoasCreated IoasidManager::alloc_hwpt(ContextId ctx, const std::string& label, IoasId ioas,
                                      bool nest_parent) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "hwpt.alloc",
                 {{"ctx", ctx}, {"ioas", ioas}, {"nest_parent", nest_parent ? 1u : 0u}}, label);
  if (auto b = owners_.find_bound(ctx, label); !b.status.ok()) return {b.status};
  AddressSpace* as = find(ioas);
  if (as == nullptr) {
    // iommufd_hwpt_alloc() takes any object as pt_id: a paging HWPT means
    // a nested allocation, which without its data is EOPNOTSUPP
    // (iommufd_hwpt_nested_alloc); an ID nothing has, or a nested HWPT,
    // is EINVAL.
    const Hwpt* h = find_hwpt(ioas);
    if (h != nullptr && h->table) {
      return {Status::error(EOPNOTSUPP, "pt_id " + std::to_string(ioas) +
                                            " is a paging HWPT: a nested HWPT needs stage-1 data")};
    }
    return {Status::error(EINVAL, "pt_id " + std::to_string(ioas) + " is not an IOAS")};
  }
  // Simulator only: a nested IOAS is the manager's own guest table.
  if (as->options.translation == IoasTranslation::Nested) {
    return {
        Status::error(EINVAL, "IOAS " + std::to_string(ioas) +
                                  " maps to guest-physical addresses; a HWPT needs a host IOAS")};
  }
  // intel_iommu_domain_alloc_paging_flags(): EOPNOTSUPP.
  const auto ecap = vtd::EcapRegister::decode(driver_.ecap());
  if (nest_parent && !(ecap.nest && ecap.slts)) {
    return {Status::error(
        EOPNOTSUPP, "the IOMMU offers no nested translation (ECAP.NEST/SLTS): no nest parent")};
  }
  // Linux (intel_iommu_domain_alloc_paging_flags) gives paging domains a
  // first-level table and nest parents a second-level one. The HWPT's
  // input space is at least the IOAS's.
  IoasOptions options;
  options.translation = nest_parent ? IoasTranslation::SecondLevel : IoasTranslation::FirstLevel;
  options.levels = nest_parent ? as->options.levels : std::max(4u, as->options.levels);
  options.max_page_shift = as->options.max_page_shift;
  if (Status s = check_options(options); !s.ok()) return {s};
  if (!dids_.allocate_would_succeed()) return {no_domain_id("a paging HWPT")};
  auto h = std::make_unique<Hwpt>();
  h->nest_parent = nest_parent;
  h->ioas = ioas;
  h->table = std::make_unique<PageTable>(
      bus_, tables_, nest_parent ? PageTableFormat::SecondLevel : PageTableFormat::FirstLevel,
      options.levels);
  // iommufd fills a new domain with every mapping the IOAS holds.
  for (const auto& [iova, area] : as->iovas->areas()) {
    h->table->map_range(iova, area.physical, area.length, as->options.max_page_shift,
                        area.writable);
  }
  h->did = *dids_.allocate();
  const HwptId id = next_id_++;
  as->hwpts.push_back(id);
  hwpts_.emplace(id, std::move(h));
  return {Status::success(), id};
}

IoasCreated IoasidManager::alloc_nested_hwpt(ContextId ctx, const std::string& label, HwptId parent,
                                             const VtdStage1& stage1) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "hwpt.alloc_nested",
                 {{"ctx", ctx}, {"parent", parent}, {"root_gpa", stage1.root_gpa}}, label);
  if (auto b = owners_.find_bound(ctx, label); !b.status.ok()) return {b.status};
  // iommufd_hwpt_alloc(): an IOAS as parent is a paging allocation with
  // user data, which intel_iommu_domain_alloc_paging_flags() refuses with
  // EOPNOTSUPP; an ID nothing has, a nested HWPT, or a paging HWPT that
  // is no nest parent (iommufd_hwpt_nested_alloc) is EINVAL.
  if (find(parent) != nullptr) {
    return {
        Status::error(EOPNOTSUPP, "parent " + std::to_string(parent) +
                                      " is an IOAS: VT-d stage-1 data needs a nest-parent HWPT")};
  }
  Hwpt* p = find_hwpt(parent);
  if (p == nullptr || !p->nest_parent) {
    return {Status::error(EINVAL, std::to_string(parent) + " is not a nest-parent HWPT")};
  }
  const auto cap = vtd::CapRegister::decode(driver_.cap());
  const auto ecap = vtd::EcapRegister::decode(driver_.ecap());
  // intel_iommu_domain_alloc_nested(), after the parent's checks.
  if (!ecap.nest) {
    return {Status::error(EOPNOTSUPP, "the IOMMU offers no nested translation (ECAP.NEST=0)")};
  }
  // Linux checks the stage-1 format when the PASID entry is written
  // (intel_pasid_setup_nested): EINVAL for a width other than 48 or 57
  // bits and for 57 bits without CAP.FL5LP. The manager checks it here.
  if (stage1.levels != 4 && stage1.levels != 5) {
    return {Status::error(
        EINVAL, "first-level tables have 4 or 5 levels, not " + std::to_string(stage1.levels))};
  }
  if (stage1.levels == 5 && !cap.fl5lp) {
    return {Status::error(EINVAL,
                          "the IOMMU does not offer 5-level first-level paging "
                          "(CAP.FL5LP=0)")};
  }
  // Simulator only: Linux writes the root as given, its low 12 bits
  // dropped (pasid_set_flptr).
  if (stage1.root_gpa % 4096 != 0) {
    return {Status::error(
        EINVAL, "first-level table root " + hex(stage1.root_gpa) + " must be 4 KiB aligned")};
  }
  if (!dids_.allocate_would_succeed()) return {no_domain_id("a nested HWPT")};
  auto h = std::make_unique<Hwpt>();
  h->parent = parent;
  h->stage1 = stage1;
  h->did = *dids_.allocate();
  const HwptId id = next_id_++;
  p->children.push_back(id);
  hwpts_.emplace(id, std::move(h));
  return {Status::success(), id};
}

Status IoasidManager::invalidate_hwpt(ContextId ctx, HwptId hwpt, const UserInvalidation& request) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(
        cpus_.current(), "hwpt.invalidate",
        {{"ctx", ctx}, {"hwpt", hwpt}, {"addr", request.addr}, {"npages", request.npages}});
  if (owners_.find(ctx) == nullptr) return DeviceOwnership::no_context(ctx);
  // iommufd_hwpt_invalidate(): ENOENT for an ID nothing has, EINVAL for an
  // object that is neither a nested HWPT nor a vIOMMU (an IOAS, a paging
  // HWPT: the manager invalidates those itself).
  Hwpt* h = find_hwpt(hwpt);
  if (h == nullptr && find(hwpt) == nullptr) {
    return Status::error(ENOENT, "no HWPT with id " + std::to_string(hwpt));
  }
  if (h == nullptr || h->table) {
    return Status::error(
        EINVAL, std::to_string(hwpt) + " is not a nested HWPT: the manager invalidates it itself");
  }
  constexpr std::uint64_t kPage = 4096;
  const bool everything = request.npages == std::numeric_limits<std::uint64_t>::max();
  // intel_nested_cache_invalidate_user(): EINVAL for an unaligned addr, and
  // for npages 2^64 - 1 (everything) with an addr.
  if (request.addr % kPage != 0) {
    return Status::error(EINVAL, "addr " + hex(request.addr) + " must be 4 KiB aligned");
  }
  if (everything && request.addr != 0) {
    return Status::error(EINVAL,
                         "npages 2^64 - 1 (everything) needs addr 0, not " + hex(request.addr));
  }
  // Simulator only: Linux flushes addr to addr + npages * 4 KiB - 1
  // unchecked, an empty or wrapped range; the simulator refuses them.
  if (request.npages == 0) return Status::error(EINVAL, "npages must not be zero");
  if (!everything &&
      request.npages > (std::numeric_limits<std::uint64_t>::max() - request.addr) / kPage) {
    return Status::error(EINVAL, "addr " + hex(request.addr) + " + npages " + hex(request.npages) +
                                     " * 4 KiB overflows 64 bits");
  }
  std::optional<Bdf> device;
  // Simulator only: the request names a device by its label (iommufd's
  // VT-d entry has no device), ENOENT when nothing is bound so.
  if (!request.label.empty()) {
    const auto b = owners_.find_bound(ctx, request.label);
    if (!b.status.ok()) return b.status;
    device = owners_.device(b.device).requester_id;
  }
  std::vector<std::uint32_t> pasids;
  std::vector<Affected> covered;
  const std::uint64_t addr = everything ? 0 : request.addr;
  const std::uint64_t length = everything ? 1ull << 62 : request.npages * kPage;
  for (const auto& [bdf, pasid] : h->attached) {
    if ((!device || *device == bdf) && (!request.pasid || *request.pasid == pasid)) {
      pasids.push_back(pasid);
      covered.push_back({bdf, pasid, addr, everything ? ~0ull : addr + length});
    }
  }
  // Linux flushes the domain's cache tags, none when nothing is attached,
  // and succeeds. The label and PASID narrowing is the simulator's: one
  // that matches nothing is ENOENT.
  if (pasids.empty()) {
    if (request.label.empty() && !request.pasid) return Status::success();
    return Status::error(
        ENOENT, "no attachment of HWPT " + std::to_string(hwpt) + " matches the label and PASID");
  }
  // A PASID-based IOTLB descriptor names DID and PASID, not the device, so
  // devices attached with the same PASID share one.
  std::sort(pasids.begin(), pasids.end());
  pasids.erase(std::unique(pasids.begin(), pasids.end()), pasids.end());
  for (std::uint32_t pasid : pasids) {
    if (Status s = driver_.flush_range(h->did, pasid, addr, length, false, request.leaf); !s.ok()) {
      return s;
    }
  }
  // The devices' own TLBs, each for its PASID (VT-d spec 6.5.2.6).
  for (const Affected& a : covered) {
    if (!owners_.device_tlb(a.bdf)) continue;
    if (Status s = driver_.flush_device_tlb(a.bdf, a.pasid, addr, length); !s.ok()) return s;
  }
  // With the leaf hint (IH=1, VT-d spec 6.5.2.4) the paging-structure
  // caches keep what they hold: table pointers the user changed in the
  // range stay pending; without it they are settled too.
  std::vector<Affected> settled;
  for (const Affected& a : covered) {
    const auto range = boost::icl::discrete_interval<std::uint64_t>::right_open(a.lo, a.hi);
    auto& non_leaf = h->non_leaf_pending[{a.bdf.rid(), a.pasid}];
    if (!request.leaf) {
      non_leaf.subtract(range);
      settled.push_back(a);
      continue;
    }
    for (const auto& piece : boost::icl::interval_set<std::uint64_t>(range) - non_leaf) {
      settled.push_back({a.bdf, a.pasid, boost::icl::first(piece), boost::icl::last_next(piece)});
    }
  }
  notify_settled(settled);
  return Status::success();
}

Status IoasidManager::destroy_hwpt(HwptId hwpt) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "hwpt.destroy", {{"hwpt", hwpt}});
  // IOMMU_DESTROY: iommufd_object_remove() refuses an ID nothing has with
  // ENOENT and an object someone holds (an attachment, a nested child)
  // with EBUSY.
  Hwpt* h = find_hwpt(hwpt);
  if (h == nullptr) return Status::error(ENOENT, "no HWPT with id " + std::to_string(hwpt));
  if (!h->attached.empty()) {
    return Status::error(EBUSY, "HWPT " + std::to_string(hwpt) + " has " +
                                    std::to_string(h->attached.size()) + " attachment(s)");
  }
  if (!h->children.empty()) {
    return Status::error(EBUSY, "HWPT " + std::to_string(hwpt) + " is the parent of nested HWPT " +
                                    std::to_string(h->children.front()));
  }
  if (h->table) {
    std::erase(spaces_.at(h->ioas)->hwpts, hwpt);
  } else {
    std::erase(hwpts_.at(h->parent)->children, hwpt);
  }
  hwpts_.erase(hwpt);
  return Status::success();
}

std::uint16_t IoasidManager::domain_id(IoasId id) const {
  if (auto it = spaces_.find(id); it != spaces_.end()) return it->second->did;
  return hwpts_.at(id)->did;
}

std::uint64_t IoasidManager::page_table_root(IoasId id) const {
  if (auto it = spaces_.find(id); it != spaces_.end()) return it->second->table->root();
  const Hwpt& h = *hwpts_.at(id);
  return h.table ? h.table->root() : h.stage1.root_gpa;
}

}  // namespace iommu_sim
