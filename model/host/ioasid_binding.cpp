// Contexts, device binding and attachment: the ownership rules of the
// /dev/ioasid proposal that iommufd implements (a group's DMA is owned by
// one context; a device is attached only when its whole group is bound).
#include "model/host/ioasid_manager.h"

#include "iommu/formats/vtd_registers.h"

#include <utility>

namespace iommu_sim {

IoasidManager::Context* IoasidManager::find_context(ContextId id) {
  auto it = contexts_.find(id);
  return it == contexts_.end() ? nullptr : &it->second;
}

IoasidManager::Bound IoasidManager::find_bound(ContextId ctx, const std::string& label) {
  Context* c = find_context(ctx);
  if (c == nullptr) return {Status::error(ENOENT, "no context " + std::to_string(ctx))};
  const auto b = c->bound.find(label);
  if (b == c->bound.end()) {
    return {Status::error(ENOENT, "no device bound as \"" + label + "\"")};
  }
  return {Status::success(), c, b->second};
}

ContextId IoasidManager::open_context() {
  const HostLock::Guard guard(lock_);
  const ContextId id = next_context_++;
  contexts_.emplace(id, Context{});
  return id;
}

Status IoasidManager::bind(ContextId ctx, const std::string& device, const std::string& label) {
  const HostLock::Guard guard(lock_);
  Context* c = find_context(ctx);
  if (c == nullptr) return Status::error(ENOENT, "no context " + std::to_string(ctx));
  int index = -1;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i].name == device) index = static_cast<int>(i);
  }
  if (index < 0) return Status::error(ENOENT, "no device named \"" + device + "\"");
  if (label.empty()) return Status::error(EINVAL, "a binding needs a label");
  if (c->bound.contains(label)) {
    return Status::error(EEXIST, "label \"" + label + "\" is bound in this context already");
  }
  for (const auto& [id, other] : contexts_) {
    for (const auto& [l, d] : other.bound) {
      if (d == index) {
        std::string why = device;
        why += " is bound already (context ";
        why += std::to_string(id);
        why += ", label \"";
        why += l;
        why += "\")";
        return Status::error(EBUSY, why);
      }
    }
  }
  const int group = devices_[index].group;
  if (auto owner = group_owner_.find(group); owner != group_owner_.end() && owner->second != ctx) {
    return Status::error(EBUSY, device + "'s IOMMU group " + std::to_string(group) +
                                    " is owned by context " + std::to_string(owner->second));
  }
  group_owner_[group] = ctx;
  c->bound.emplace(label, index);
  return Status::success();
}

Status IoasidManager::attach_device(ContextId ctx, const std::string& label, std::uint32_t pasid,
                                    IoasId ioas) {
  const HostLock::Guard guard(lock_);
  const Bound bound = find_bound(ctx, label);
  if (!bound.status.ok()) return bound.status;
  Context* c = bound.context;
  if (Status s = target(ioas).status; !s.ok()) return s;
  const int index = bound.device;
  const HostDevice& dev = devices_[index];
  // The group is the unit of isolation: its devices can reach each other
  // without the IOMMU, so none may be outside this context.
  std::string unbound;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i].group != dev.group) continue;
    bool here = false;
    for (const auto& [l, d] : c->bound) here = here || d == static_cast<int>(i);
    if (!here) unbound += (unbound.empty() ? "" : ", ") + devices_[i].name;
  }
  if (!unbound.empty()) {
    return Status::error(EPERM, dev.name + "'s IOMMU group " + std::to_string(dev.group) +
                                    " is not wholly bound to this context: " + unbound);
  }
  const auto key = std::pair(dev.requester_id.rid(), pasid);
  if (auto a = c->attached.find(key); a != c->attached.end()) {
    if (a->second.second.contains(index)) {
      return Status::error(EBUSY, label + " PASID " + std::to_string(pasid) + " is attached");
    }
    // Another device with the same requester ID (a bridge alias) is
    // attached there: the IOMMU cannot tell them apart.
    if (a->second.first != ioas) {
      return Status::error(EBUSY, label + " shares requester ID " + dev.requester_id.to_string() +
                                      " with a device attached to IOAS " +
                                      std::to_string(a->second.first));
    }
    a->second.second.insert(index);
    return Status::success();
  }
  if (Status s = attach(dev.requester_id, pasid, ioas); !s.ok()) return s;
  c->attached.emplace(key, std::pair(ioas, std::set<int>{index}));
  return Status::success();
}

Status IoasidManager::detach_device(ContextId ctx, const std::string& label, std::uint32_t pasid) {
  const HostLock::Guard guard(lock_);
  const Bound bound = find_bound(ctx, label);
  if (!bound.status.ok()) return bound.status;
  Context* c = bound.context;
  const int index = bound.device;
  const HostDevice& dev = devices_[index];
  const auto key = std::pair(dev.requester_id.rid(), pasid);
  auto a = c->attached.find(key);
  if (a == c->attached.end() || !a->second.second.contains(index)) {
    return Status::error(ENOENT, label + " PASID " + std::to_string(pasid) + " is not attached");
  }
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
  Context* c = find_context(ctx);
  if (c == nullptr) return Status::error(ENOENT, "no context " + std::to_string(ctx));
  for (const auto& [key, target] : c->attached) {
    if (Status s = detach(Bdf::from_rid(key.first), key.second, target.first); !s.ok()) return s;
  }
  for (auto it = group_owner_.begin(); it != group_owner_.end();) {
    it = it->second == ctx ? group_owner_.erase(it) : std::next(it);
  }
  contexts_.erase(ctx);
  return Status::success();
}

Status IoasidManager::replace_device(ContextId ctx, const std::string& label, std::uint32_t pasid,
                                     IoasId ioas) {
  const HostLock::Guard guard(lock_);
  const Bound bound = find_bound(ctx, label);
  if (!bound.status.ok()) return bound.status;
  Context* c = bound.context;
  if (Status s = target(ioas).status; !s.ok()) return s;
  const int index = bound.device;
  const HostDevice& dev = devices_[index];
  auto a = c->attached.find(std::pair(dev.requester_id.rid(), pasid));
  if (a == c->attached.end() || !a->second.second.contains(index)) {
    return Status::error(ENOENT, label + " PASID " + std::to_string(pasid) + " is not attached");
  }
  const IoasId old = a->second.first;
  if (old == ioas) return Status::success();
  // attach() rewrites the present PASID entry in place (the IOMMU reads
  // the whole entry in one access, so it sees old or new) and then flushes
  // the old domain's cached translations.
  auto& old_list = *target(old).attached;
  std::erase(old_list, std::pair(dev.requester_id, pasid));
  if (Status s = attach(dev.requester_id, pasid, ioas); !s.ok()) {
    old_list.emplace_back(dev.requester_id, pasid);
    return s;
  }
  a->second.first = ioas;
  return Status::success();
}

IoasidManager::Capabilities IoasidManager::capabilities(ContextId ctx, const std::string& label) {
  if (Bound b = find_bound(ctx, label); !b.status.ok()) return {b.status};
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

std::vector<IoasidManager::LabelledFault> IoasidManager::read_faults(ContextId ctx) {
  const HostLock::Guard guard(lock_);
  for (const auto& record : driver_.drain_faults()) {
    for (auto& [id, c] : contexts_) {
      for (const auto& [label, index] : c.bound) {
        if (devices_[index].requester_id.rid() != record.sid) continue;
        // FR's T bit is 1 for reads (VT-d spec 11.4.14).
        c.faults.push_back({label, record.fr, record.fi, record.pp, record.pv, !record.t});
      }
    }
  }
  Context* c = find_context(ctx);
  if (c == nullptr) return {};
  return std::exchange(c->faults, {});
}

}  // namespace iommu_sim
