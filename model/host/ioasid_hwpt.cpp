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
  return alloc_hwpt(ctx, label, ioas,
                    HwptAlloc{.flags = nest_parent ? iommufd::kHwptAllocNestParent : 0u});
}

IoasCreated IoasidManager::alloc_nested_hwpt(ContextId ctx, const std::string& label, HwptId parent,
                                             const VtdStage1& stage1) {
  return alloc_hwpt(ctx, label, parent,
                    HwptAlloc{.data_type = iommufd::kHwptDataVtdS1,
                              .data_len = iommufd::kHwptVtdS1Size,
                              .stage1 = stage1});
}

IoasCreated IoasidManager::alloc_hwpt(ContextId ctx, const std::string& label, IoasId pt_id,
                                      const HwptAlloc& args) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "hwpt.alloc",
                 {{"ctx", ctx},
                  {"pt_id", pt_id},
                  {"flags", args.flags},
                  {"data_type", args.data_type},
                  {"data_len", args.data_len}},
                 label);
  // An ioctl on a closed file descriptor: EBADF before any argument.
  if (owners_.find(ctx) == nullptr) return {DeviceOwnership::no_context(ctx)};
  // iommufd_hwpt_alloc: data and its type go together.
  if (args.data_type == iommufd::kHwptDataNone && args.data_len != 0) {
    return {Status::error(
        EINVAL, "data type NONE takes no data (data_len " + std::to_string(args.data_len) + ")")};
  }
  if (args.data_type != iommufd::kHwptDataNone && args.data_len == 0) {
    return {Status::error(EINVAL, "data type " + std::to_string(args.data_type) + " needs data")};
  }
  if (auto b = owners_.find_bound(ctx, label); !b.status.ok()) return {b.status};
  // iommufd_hwpt_alloc answers EINVAL for a pt_id it cannot look up (in
  // the context's own objects: another context's too) and for one of the
  // wrong type (a nested HWPT); a paging HWPT means a nested allocation.
  const std::string wanted =
      args.data_type != iommufd::kHwptDataNone ? ": not a nest-parent HWPT" : ": not an IOAS";
  if (lookup(ctx, pt_id) == 0) {
    return {Status::error(EINVAL, "no IOAS or HWPT with id " + std::to_string(pt_id) + wanted)};
  }
  if (find(pt_id) != nullptr) return alloc_paging_hwpt(ctx, pt_id, args);
  const Hwpt* on = find_hwpt(pt_id);
  if (on != nullptr && !on->table) {
    return {Status::error(EINVAL, "HWPT " + std::to_string(pt_id) + " is nested" + wanted +
                                      " (a HWPT stands on an IOAS or a paging HWPT)")};
  }
  return alloc_nested_on(ctx, pt_id, args);
}

IoasCreated IoasidManager::alloc_paging_hwpt(ContextId ctx, IoasId ioas, const HwptAlloc& args) {
  AddressSpace* as = find(ioas);
  // intel_iommu_domain_alloc_paging_flags(): EOPNOTSUPP.
  const auto ecap = vtd::EcapRegister::decode(driver_.ecap());
  const bool nest_parent = (args.flags & iommufd::kHwptAllocNestParent) != 0;
  const bool dirty_tracking = (args.flags & iommufd::kHwptAllocDirtyTracking) != 0;
  // iommufd_hwpt_paging_alloc.
  constexpr std::uint32_t kValid = iommufd::kHwptAllocNestParent |
                                   iommufd::kHwptAllocDirtyTracking | iommufd::kHwptFaultIdValid |
                                   iommufd::kHwptAllocPasid;
  if ((args.flags & ~kValid) != 0) {
    return {Status::error(EOPNOTSUPP, "unknown HWPT flags " + hex(args.flags & ~kValid))};
  }
  // IOMMU_CAP_DIRTY_TRACKING: Intel's slads_supported (ECAP.SLADS).
  if (dirty_tracking && !ecap.slads) {
    return {Status::error(EOPNOTSUPP,
                          "the IOMMU offers no second-level A/D bits (ECAP.SLADS): no dirty "
                          "tracking")};
  }
  if (nest_parent && (args.flags & iommufd::kHwptFaultIdValid) != 0) {
    return {Status::error(EOPNOTSUPP, "a nest parent takes no fault object")};
  }
  // intel_iommu_domain_alloc_paging_flags.
  if (nest_parent && !(ecap.nest && ecap.slts)) {
    return {Status::error(
        EOPNOTSUPP, "the IOMMU offers no nested translation (ECAP.NEST/SLTS): no nest parent")};
  }
  if (args.data_type != iommufd::kHwptDataNone) {
    return {Status::error(EOPNOTSUPP, "a VT-d paging HWPT takes no data (type " +
                                          std::to_string(args.data_type) + ")")};
  }
  // Simulator only, after Linux's checks: a nested IOAS is the manager's
  // own guest table.
  if (as->options.translation == IoasTranslation::Nested) {
    return {
        Status::error(EINVAL, "IOAS " + std::to_string(ioas) +
                                  " maps to guest-physical addresses; a HWPT needs a host IOAS")};
  }
  // Linux (intel_iommu_domain_alloc_paging_flags) gives paging domains a
  // first-level table, and nest parents and dirty-tracking domains a
  // second-level one. The HWPT's input space is at least the IOAS's.
  const bool second_level = nest_parent || dirty_tracking;
  IoasOptions options;
  options.translation = second_level ? IoasTranslation::SecondLevel : IoasTranslation::FirstLevel;
  options.levels = second_level ? as->options.levels : std::max(4u, as->options.levels);
  options.max_page_shift = as->options.max_page_shift;
  if (Status s = check_options(options); !s.ok()) return {s};
  if (!dids().allocate_would_succeed()) return {no_domain_id("a paging HWPT")};
  if ((args.flags & iommufd::kHwptFaultIdValid) != 0) return {no_fault_object()};
  auto h = std::make_unique<Hwpt>();
  h->nest_parent = nest_parent;
  h->dirty_tracking = dirty_tracking;
  h->owner = ctx;
  h->ioas = ioas;
  h->table = std::make_unique<PageTable>(
      bus_, tables_, second_level ? PageTableFormat::SecondLevel : PageTableFormat::FirstLevel,
      options.levels);
  // iommufd fills a new domain with every mapping the IOAS holds.
  for (const auto& [iova, area] : as->iovas->areas()) {
    h->table->map_range(iova, area.physical, area.length, as->options.max_page_shift, area.writable,
                        area.readable);
  }
  h->did = *dids().allocate();
  const HwptId id = next_id_++;
  as->hwpts.push_back(id);
  hwpts_.emplace(id, std::move(h));
  return {Status::success(), id};
}

IoasCreated IoasidManager::alloc_nested_on(ContextId ctx, HwptId parent, const HwptAlloc& args) {
  const auto cap = vtd::CapRegister::decode(driver_.cap());
  const auto ecap = vtd::EcapRegister::decode(driver_.ecap());
  // iommufd_hwpt_nested_alloc: EOPNOTSUPP for a flag a nested HWPT does
  // not take and for no data (alloc_hwpt(bool) on a paging HWPT is a
  // nested allocation without its data).
  constexpr std::uint32_t kValid = iommufd::kHwptFaultIdValid | iommufd::kHwptAllocPasid;
  if ((args.flags & ~kValid) != 0) {
    return {Status::error(EOPNOTSUPP,
                          "flags " + hex(args.flags & ~kValid) + " do not apply to a nested HWPT")};
  }
  if (args.data_len == 0) {
    return {Status::error(EOPNOTSUPP, "pt_id " + std::to_string(parent) +
                                          " is a paging HWPT: a nested HWPT needs stage-1 data")};
  }
  Hwpt* p = find_hwpt(parent);
  if (p == nullptr || !p->nest_parent) {
    return {Status::error(EINVAL, std::to_string(parent) + " is not a nest-parent HWPT")};
  }
  // intel_iommu_domain_alloc_nested(), after the parent's checks.
  if (!ecap.nest) {
    return {Status::error(EOPNOTSUPP, "the IOMMU offers no nested translation (ECAP.NEST=0)")};
  }
  if (args.data_type != iommufd::kHwptDataVtdS1) {
    return {Status::error(EOPNOTSUPP, "VT-d nests only a VT-d stage 1 (data type " +
                                          std::to_string(iommufd::kHwptDataVtdS1) + "), not " +
                                          std::to_string(args.data_type))};
  }
  // iommu_copy_struct_from_user: at least up to __reserved; a longer
  // buffer must be zero beyond the struct, as the model's is.
  if (args.data_len < iommufd::kHwptVtdS1Size) {
    return {Status::error(EINVAL, "data_len " + std::to_string(args.data_len) +
                                      " is shorter than struct iommu_hwpt_vtd_s1 (" +
                                      std::to_string(iommufd::kHwptVtdS1Size) + " bytes)")};
  }
  const VtdStage1& stage1 = args.stage1;
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
  if (!dids().allocate_would_succeed()) return {no_domain_id("a nested HWPT")};
  if ((args.flags & iommufd::kHwptFaultIdValid) != 0) return {no_fault_object()};
  auto h = std::make_unique<Hwpt>();
  h->owner = ctx;
  h->parent = parent;
  h->stage1 = stage1;
  h->did = *dids().allocate();
  const HwptId id = next_id_++;
  p->children.push_back(id);
  hwpts_.emplace(id, std::move(h));
  return {Status::success(), id};
}

Status IoasidManager::invalidate_hwpt(ContextId ctx, HwptId hwpt, const UserInvalidation& request) {
  std::uint32_t processed = 0;
  const InvalidationEntry entry{.addr = request.addr,
                                .npages = request.npages,
                                .flags = request.leaf ? iommufd::kVtdInvFlagsLeaf : 0u};
  return invalidate_hwpt(
      ctx, hwpt,
      HwptInvalidation{.label = request.label, .pasid = request.pasid, .entries = {entry}},
      processed);
}

Status IoasidManager::invalidate_hwpt(ContextId ctx, HwptId hwpt, const HwptInvalidation& request,
                                      std::uint32_t& processed) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "hwpt.invalidate",
                 {{"ctx", ctx}, {"hwpt", hwpt}, {"entries", request.entries.size()}},
                 request.label);
  processed = 0;
  if (owners_.find(ctx) == nullptr) return DeviceOwnership::no_context(ctx);
  // iommufd_hwpt_invalidate(): ENOENT for an ID nothing has in the
  // context (iommufd_get_object: another context's too), EINVAL for an
  // object that is neither a nested HWPT nor a vIOMMU (an IOAS, a paging
  // HWPT: the manager invalidates those itself).
  const IoasId id = lookup(ctx, hwpt);
  if (id == 0) return Status::error(ENOENT, "no IOAS or HWPT with id " + std::to_string(hwpt));
  Hwpt* h = find_hwpt(id);
  if (h == nullptr || h->table) {
    return Status::error(
        EINVAL, std::to_string(hwpt) + " is not a nested HWPT: the manager invalidates it itself");
  }
  // intel_nested_cache_invalidate_user, before its loop.
  if (request.data_type != iommufd::kHwptInvalidateDataVtdS1) {
    return Status::error(EINVAL, "data type " + std::to_string(request.data_type) +
                                     " is not IOMMU_HWPT_INVALIDATE_DATA_VTD_S1");
  }
  constexpr std::uint64_t kPage = 4096;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  // The attachments the request's label and PASID select, found at the
  // first entry that passes its checks. Linux flushes the domain's cache
  // tags, none when nothing is attached, and succeeds; the label and
  // PASID narrowing is the simulator's (a VT-d invalidation entry names
  // no device or PASID): a label bound to nothing, or a label or PASID
  // that matches no attachment, is ENOENT.
  bool selected = false;
  std::vector<std::pair<Bdf, std::uint32_t>> matches;
  std::vector<std::uint32_t> pasids;
  auto select = [&]() -> Status {
    std::optional<Bdf> device;
    if (!request.label.empty()) {
      const auto b = owners_.find_bound(ctx, request.label);
      if (!b.status.ok()) return b.status;
      device = owners_.device(b.device).requester_id;
    }
    for (const auto& [bdf, pasid] : h->attached) {
      if ((!device || *device == bdf) && (!request.pasid || *request.pasid == pasid)) {
        matches.emplace_back(bdf, pasid);
        pasids.push_back(pasid);
      }
    }
    if (matches.empty() && (!request.label.empty() || request.pasid)) {
      return Status::error(
          ENOENT, "no attachment of HWPT " + std::to_string(hwpt) + " matches the label and PASID");
    }
    // A PASID-based IOTLB descriptor names DID and PASID, not the device,
    // so devices attached with the same PASID share one.
    std::sort(pasids.begin(), pasids.end());
    pasids.erase(std::unique(pasids.begin(), pasids.end()), pasids.end());
    selected = true;
    return Status::success();
  };
  for (const InvalidationEntry& e : request.entries) {
    const std::string which = "entry " + std::to_string(processed) + ": ";
    // intel_nested_cache_invalidate_user(): EOPNOTSUPP for an unknown flag
    // or a nonzero __reserved, EINVAL for an unaligned addr and for npages
    // 2^64 - 1 (everything) with an addr.
    if ((e.flags & ~iommufd::kVtdInvFlagsLeaf) != 0 || e.reserved != 0) {
      return Status::error(EOPNOTSUPP, which + "unknown flags " + hex(e.flags) +
                                           " or nonzero reserved " + hex(e.reserved));
    }
    if (e.addr % kPage != 0) {
      return Status::error(EINVAL, which + "addr " + hex(e.addr) + " must be 4 KiB aligned");
    }
    const bool everything = e.npages == kMax;
    if (everything && e.addr != 0) {
      return Status::error(EINVAL,
                           which + "npages 2^64 - 1 (everything) needs addr 0, not " + hex(e.addr));
    }
    // Simulator only: Linux flushes addr to addr + npages * 4 KiB - 1
    // unchecked, an empty or wrapped range; the simulator refuses them.
    if (e.npages == 0) return Status::error(EINVAL, which + "npages must not be zero");
    if (!everything && e.npages > (kMax - e.addr) / kPage) {
      return Status::error(EINVAL, which + "addr " + hex(e.addr) + " + npages " + hex(e.npages) +
                                       " * 4 KiB overflows 64 bits");
    }
    if (!selected) {
      if (Status s = select(); !s.ok()) return s;
    }
    {
      const std::uint64_t addr = everything ? 0 : e.addr;
      const std::uint64_t length = everything ? 1ull << 62 : e.npages * kPage;
      const bool leaf = (e.flags & iommufd::kVtdInvFlagsLeaf) != 0;
      std::vector<Affected> covered;
      covered.reserve(matches.size());
      for (const auto& [bdf, pasid] : matches) {
        covered.push_back({bdf, pasid, addr, everything ? ~0ull : addr + length});
      }
      for (std::uint32_t pasid : pasids) {
        if (Status s = driver_.flush_range(h->did, pasid, addr, length, false, leaf); !s.ok()) {
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
        if (!leaf) {
          non_leaf.subtract(range);
          settled.push_back(a);
          continue;
        }
        for (const auto& piece : boost::icl::interval_set<std::uint64_t>(range) - non_leaf) {
          settled.push_back(
              {a.bdf, a.pasid, boost::icl::first(piece), boost::icl::last_next(piece)});
        }
      }
      notify_settled(settled);
    }
    ++processed;
  }
  return Status::success();
}

Status IoasidManager::destroy_hwpt(HwptId hwpt) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "hwpt.destroy", {{"hwpt", hwpt}});
  // IOMMU_DESTROY: iommufd_object_remove() refuses an ID nothing has with
  // ENOENT and an object someone holds (an attachment, a nested child)
  // with EBUSY. An automatic HWPT lives only while attached: its users
  // hold it.
  if (auto a = auto_hwpts_.find(hwpt); a != auto_hwpts_.end()) {
    return Status::error(EBUSY, "HWPT " + std::to_string(hwpt) + " is IOAS " +
                                    std::to_string(a->second) + "'s automatic HWPT, in use by " +
                                    std::to_string(spaces_.at(a->second)->attached.size()) +
                                    " attachment(s)");
  }
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
  if (Status s = flush_domain(h->did, h->ever_attached); !s.ok()) return s;
  const std::uint16_t did = h->did;
  if (h->table) {
    std::erase(spaces_.at(h->ioas)->hwpts, hwpt);
  } else {
    std::erase(hwpts_.at(h->parent)->children, hwpt);
  }
  hwpts_.erase(hwpt);
  dids().release(did);
  return Status::success();
}

Status IoasidManager::no_fault_object() {
  return Status::error(ENOENT,
                       "FAULT_ID_VALID: no FAULT object has that fault_id (the model has no "
                       "IOMMU_FAULT_QUEUE_ALLOC)");
}

std::uint16_t IoasidManager::domain_id(IoasId id) const {
  if (auto a = auto_hwpts_.find(id); a != auto_hwpts_.end()) id = a->second;
  if (auto it = spaces_.find(id); it != spaces_.end()) return it->second->did;
  return hwpts_.at(id)->did;
}

std::uint64_t IoasidManager::page_table_root(IoasId id) const {
  if (auto a = auto_hwpts_.find(id); a != auto_hwpts_.end()) id = a->second;
  if (auto it = spaces_.find(id); it != spaces_.end()) return it->second->table->root();
  const Hwpt& h = *hwpts_.at(id);
  return h.table ? h.table->root() : h.stage1.root_gpa;
}

}  // namespace iommu_sim
