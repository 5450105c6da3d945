// Contexts, device binding and attachment: the manager's calls on
// DeviceOwnership's rules, and the PASID entries they write.
#include <algorithm>
#include <utility>

#include "iommu/formats/vtd_registers.h"
#include "model/host/host_trace.h"
#include "model/host/ioasid_manager.h"

namespace iommu_sim {

ContextId IoasidManager::open_context() {
  const HostLock::Guard guard(lock_);
  return owners_.open();
}

Status IoasidManager::bind(ContextId ctx, const std::string& device, const std::string& label) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "device.bind", {{"ctx", ctx}}, label);
  return owners_.bind(ctx, device, label);
}

Status IoasidManager::attach_device(ContextId ctx, const std::string& label, std::uint32_t pasid,
                                    IoasId ioas, HwptId* pt_id) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "device.attach", {{"ctx", ctx}, {"pasid", pasid}, {"ioas", ioas}},
                 label);
  const DeviceOwnership::Bound bound = owners_.find_bound(ctx, label);
  if (!bound.status.ok()) return bound.status;
  DeviceOwnership::Context* c = bound.context;
  // iommufd_device_change_pt(): a pt_id nothing has is ENOENT, and so is
  // another context's object (iommufd_get_object looks in the file's own
  // objects); an automatic HWPT stands for its IOAS.
  const IoasId to = lookup(ctx, ioas);
  if (to == 0) return Status::error(ENOENT, "no IOAS or HWPT with id " + std::to_string(ioas));
  const int index = bound.device;
  const HostDevice& dev = owners_.device(index);
  // The group is the unit of isolation: its devices can reach each other
  // without the IOMMU, so none may be outside this context.
  if (Status s = owners_.check_group_bound(*c, index); !s.ok()) return s;
  const auto key = std::pair(dev.requester_id.rid(), pasid);
  if (auto a = c->attached.find(key); a != c->attached.end()) {
    // iommufd_hw_pagetable_attach(): the device is in the PASID's device
    // list already (EBUSY: replace moves it), or, a bridge alias, shares
    // it with a device attached elsewhere, which one group cannot
    // (EINVAL): the IOMMU cannot tell them apart.
    if (a->second.second.contains(index)) {
      return Status::error(EBUSY, label + " PASID " + std::to_string(pasid) + " is attached");
    }
    if (a->second.first != to) {
      return Status::error(EINVAL, label + " shares requester ID " + dev.requester_id.to_string() +
                                       " with a device attached to IOAS " +
                                       std::to_string(a->second.first));
    }
    a->second.second.insert(index);
    if (pt_id != nullptr) *pt_id = pt_of(to);
    return Status::success();
  }
  if (Status s = attach(dev.requester_id, pasid, to); !s.ok()) return s;
  c->attached.emplace(key, std::pair(to, std::set<int>{index}));
  if (pt_id != nullptr) *pt_id = pt_of(to);
  return Status::success();
}

Status IoasidManager::detach_device(ContextId ctx, const std::string& label, std::uint32_t pasid) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "device.detach", {{"ctx", ctx}, {"pasid", pasid}}, label);
  const DeviceOwnership::Bound bound = owners_.find_bound(ctx, label);
  if (!bound.status.ok()) return bound.status;
  DeviceOwnership::Context* c = bound.context;
  const int index = bound.device;
  const HostDevice& dev = owners_.device(index);
  const auto key = std::pair(dev.requester_id.rid(), pasid);
  auto a = c->attached.find(key);
  // Nothing to detach is no error: iommufd_hw_pagetable_detach() finds no
  // attachment and VFIO_DEVICE_DETACH_IOMMUFD_PT returns 0.
  if (a == c->attached.end() || !a->second.second.contains(index)) return Status::success();
  if (a->second.second.size() == 1) {
    if (Status s = detach(dev.requester_id, pasid, a->second.first); !s.ok()) return s;
    c->attached.erase(a);
  } else {
    a->second.second.erase(index);
  }
  return Status::success();
}

Status IoasidManager::close_context(ContextId ctx) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "context.close", {{"ctx", ctx}});
  // close(2) of a file descriptor that is not open: EBADF.
  DeviceOwnership::Context* c = owners_.find(ctx);
  if (c == nullptr) return DeviceOwnership::no_context(ctx);
  for (const auto& [key, target] : c->attached) {
    if (Status s = detach(Bdf::from_rid(key.first), key.second, target.first); !s.ok()) return s;
  }
  owners_.close(ctx);
  return destroy_owned(ctx);
}

Status IoasidManager::replace_device(ContextId ctx, const std::string& label, std::uint32_t pasid,
                                     IoasId ioas, HwptId* pt_id) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "device.replace",
                 {{"ctx", ctx}, {"pasid", pasid}, {"ioas", ioas}}, label);
  const DeviceOwnership::Bound bound = owners_.find_bound(ctx, label);
  if (!bound.status.ok()) return bound.status;
  DeviceOwnership::Context* c = bound.context;
  // iommufd_device_change_pt(): a pt_id nothing has, or another
  // context's, is ENOENT.
  const IoasId to = lookup(ctx, ioas);
  if (to == 0) return Status::error(ENOENT, "no IOAS or HWPT with id " + std::to_string(ioas));
  const int index = bound.device;
  const HostDevice& dev = owners_.device(index);
  auto a = c->attached.find(std::pair(dev.requester_id.rid(), pasid));
  // Replace needs an attachment to replace: iommufd's
  // iommufd_device_change_pt() refuses an unattached PASID with EINVAL.
  if (a == c->attached.end() || !a->second.second.contains(index)) {
    return Status::error(EINVAL, label + " PASID " + std::to_string(pasid) + " is not attached");
  }
  const IoasId old = a->second.first;
  if (old == to) {
    if (pt_id != nullptr) *pt_id = pt_of(to);
    return Status::success();
  }
  // attach() rewrites the present PASID entry in place (the IOMMU reads
  // the whole entry in one access, so it sees old or new) and then flushes
  // the old domain's cached translations.
  auto& old_list = *target(old).attached;
  std::erase(old_list, std::pair(dev.requester_id, pasid));
  attached_pasids_.erase({dev.requester_id.rid(), pasid});
  if (Status s = attach(dev.requester_id, pasid, to); !s.ok()) {
    old_list.emplace_back(dev.requester_id, pasid);
    attached_pasids_.emplace(dev.requester_id.rid(), pasid);
    return s;
  }
  a->second.first = to;
  // iommufd_device_do_replace puts the old HWPT: an automatic one goes
  // with its last user.
  update_auto_hwpt(old);
  if (pt_id != nullptr) *pt_id = pt_of(to);
  return Status::success();
}

IoasidManager::Capabilities IoasidManager::capabilities(ContextId ctx, const std::string& label) {
  if (auto b = owners_.find_bound(ctx, label); !b.status.ok()) return {b.status};
  const auto cap = iommu::vtd::CapRegister::decode(driver_.cap());
  const auto ecap = iommu::vtd::EcapRegister::decode(driver_.ecap());
  Capabilities out;
  // First-level pages: 4 KiB and 2 MiB always, 1 GiB with CAP.FL1GP.
  out.page_sizes = (1ull << 12) | (1ull << 21) | (cap.fl1gp ? 1ull << 30 : 0);
  out.address_width = cap.mgaw + 1u;
  out.pasid_bits = ecap.pasid ? ecap.pss + 1u : 0u;
  out.first_level_5_level = cap.fl5lp;
  out.second_level = ecap.slts;
  out.nesting = ecap.nest;
  out.ats = ecap.dt;
  return out;
}

std::vector<LabelledFault> IoasidManager::read_faults(ContextId ctx) {
  const HostLock::Guard guard(lock_);
  owners_.deliver(driver_.drain_faults());
  DeviceOwnership::Context* c = owners_.find(ctx);
  if (c == nullptr) return {};
  return std::exchange(c->faults, {});
}

IoasidManager::Target IoasidManager::target(IoasId id) {
  Target t;
  if (AddressSpace* as = find(id)) {
    t.attached = &as->attached;
    t.setup.did = as->did;
    switch (as->options.translation) {
      case IoasTranslation::FirstLevel:
        t.setup.pgtt = iommu::vtd::Pgtt::FirstLevel;
        t.setup.fl_root = as->table->root();
        t.setup.fl_levels = as->options.levels;
        break;
      case IoasTranslation::SecondLevel:
        t.setup.pgtt = iommu::vtd::Pgtt::SecondLevel;
        t.setup.sl_root = as->table->root();
        t.setup.sl_levels = as->options.levels;
        break;
      case IoasTranslation::Nested: {
        const AddressSpace& parent = *spaces_.at(as->options.parent);
        t.setup.pgtt = iommu::vtd::Pgtt::Nested;
        t.setup.fl_root = as->table->root();
        t.setup.fl_levels = as->options.levels;
        t.setup.sl_root = parent.table->root();
        t.setup.sl_levels = parent.options.levels;
        break;
      }
    }
    return t;
  }
  Hwpt* h = find_hwpt(id);
  if (h == nullptr) {
    t.status = Status::error(ENOENT, "no IOAS or HWPT with id " + std::to_string(id));
    return t;
  }
  t.attached = &h->attached;
  t.setup.did = h->did;
  if (h->table) {
    const bool sl = h->table->format() == PageTableFormat::SecondLevel;
    t.setup.pgtt = sl ? iommu::vtd::Pgtt::SecondLevel : iommu::vtd::Pgtt::FirstLevel;
    (sl ? t.setup.sl_root : t.setup.fl_root) = h->table->root();
    (sl ? t.setup.sl_levels : t.setup.fl_levels) = h->table->levels();
    return t;
  }
  const PageTable& parent = *hwpts_.at(h->parent)->table;
  t.setup.pgtt = iommu::vtd::Pgtt::Nested;
  t.setup.fl_root = h->stage1.root_gpa;
  t.setup.fl_levels = h->stage1.levels;
  t.setup.supervisor_requests = h->stage1.supervisor_requests;
  t.setup.sl_root = parent.root();
  t.setup.sl_levels = parent.levels();
  return t;
}

Status IoasidManager::attach(Bdf bdf, std::uint32_t pasid, IoasId id) {
  Target t = target(id);
  if (!t.status.ok()) return t.status;
  if (attached_pasids_.contains({bdf.rid(), pasid})) {
    return Status::error(EBUSY, "device " + bdf.to_string() + " PASID " + std::to_string(pasid) +
                                    " is already attached");
  }
  if (Status s = check_dirty_tracking_pasid(id, pasid); !s.ok()) return s;
  const std::vector<Affected> entry{{bdf, pasid, 0, ~0ull}};
  notify_changing(entry);
  t.setup.device_tlb = owners_.device_tlb(bdf).has_value();
  Status s = driver_.set_pasid_entry(bdf, pasid, t.setup);
  if (!s.ok()) return s;
  t.attached->emplace_back(bdf, pasid);
  attached_pasids_.emplace(bdf.rid(), pasid);
  // Nothing of this HWPT is cached for the new attachment yet.
  if (Hwpt* h = find_hwpt(id)) {
    h->non_leaf_pending.erase({bdf.rid(), pasid});
    h->ever_attached = true;
  } else {
    find(id)->ever_attached = true;
  }
  update_auto_hwpt(id);
  notify_settled(entry);
  return Status::success();
}

Status IoasidManager::detach(Bdf bdf, std::uint32_t pasid, IoasId id) {
  const std::vector<Affected> entry{{bdf, pasid, 0, ~0ull}};
  notify_changing(entry);
  if (Status s = driver_.clear_pasid_entry(bdf, pasid, owners_.device_tlb(bdf).has_value());
      !s.ok()) {
    return s;
  }
  std::erase(*target(id).attached, std::pair(bdf, pasid));
  attached_pasids_.erase({bdf.rid(), pasid});
  update_auto_hwpt(id);
  notify_settled(entry);
  return Status::success();
}

}  // namespace iommu_sim
