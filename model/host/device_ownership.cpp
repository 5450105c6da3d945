#include "model/host/device_ownership.h"

namespace iommu_sim {

void DeviceOwnership::set_devices(std::vector<HostDevice> devices) {
  devices_ = std::move(devices);
  index_of_.clear();
  group_members_.clear();
  ats_requesters_.clear();
  bound_as_.assign(devices_.size(), {0, ""});
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const HostDevice& d = devices_[i];
    index_of_.emplace(d.name, static_cast<int>(i));
    group_members_[d.group].push_back(static_cast<int>(i));
    if (d.ats) ats_requesters_.insert(d.requester_id.rid());
  }
}

ContextId DeviceOwnership::open() {
  const ContextId id = next_context_++;
  contexts_.emplace(id, Context{});
  return id;
}

DeviceOwnership::Context* DeviceOwnership::find(ContextId id) {
  auto it = contexts_.find(id);
  return it == contexts_.end() ? nullptr : &it->second;
}

Status DeviceOwnership::no_context(ContextId ctx) {
  return Status::error(EBADF, "no context " + std::to_string(ctx) + " (closed or never opened)");
}

DeviceOwnership::Bound DeviceOwnership::find_bound(ContextId ctx, const std::string& label) {
  Context* c = find(ctx);
  if (c == nullptr) return {no_context(ctx)};
  // The label is the device's dev_id: iommufd_get_device() answers an ID
  // nothing has with ENOENT.
  const auto b = c->bound.find(label);
  if (b == c->bound.end()) {
    return {Status::error(ENOENT, "no device bound as \"" + label + "\"")};
  }
  return {Status::success(), c, b->second};
}

Status DeviceOwnership::bind(ContextId ctx, const std::string& device, const std::string& label) {
  // VFIO_DEVICE_BIND_IOMMUFD names the context by its file descriptor:
  // iommufd_ctx_from_fd() refuses a closed one with EBADF.
  Context* c = find(ctx);
  if (c == nullptr) return no_context(ctx);
  const auto named = index_of_.find(device);
  // A device that does not exist has no cdev to open: ENOENT.
  if (named == index_of_.end()) return Status::error(ENOENT, "no device named \"" + device + "\"");
  const int index = named->second;
  // Labels stand for the dev_id iommufd hands out, so it never refuses
  // one; the simulator's names must be non-empty and unique.
  if (label.empty()) return Status::error(EINVAL, "a binding needs a label");
  if (c->bound.contains(label)) {
    return Status::error(EEXIST, "label \"" + label + "\" is bound in this context already");
  }
  // A device is open once through its cdev: Linux's vfio_df_open refuses a
  // second open, from this context or another, with EINVAL before any
  // ownership is claimed.
  if (const auto& [id, l] = bound_as_[index]; id != 0) {
    return Status::error(EINVAL, device + " is bound already (context " + std::to_string(id) +
                                     ", label \"" + l + "\")");
  }
  const int group = devices_[index].group;
  // Another owner holds the group's DMA ownership: Linux
  // iommu_device_claim_dma_owner() refuses with EPERM.
  if (auto owner = group_owner_.find(group); owner != group_owner_.end() && owner->second != ctx) {
    return Status::error(EPERM, device + "'s IOMMU group " + std::to_string(group) +
                                    " is owned by context " + std::to_string(owner->second));
  }
  group_owner_[group] = ctx;
  c->bound.emplace(label, index);
  bound_as_[index] = {ctx, label};
  return Status::success();
}

Status DeviceOwnership::check_group_bound(const Context& c, int index) const {
  const HostDevice& dev = devices_.at(index);
  std::string unbound;
  for (const int i : group_members_.at(dev.group)) {
    const auto b = c.bound.find(bound_as_[i].second);
    const bool here = b != c.bound.end() && b->second == i;
    if (!here) unbound += (unbound.empty() ? "" : ", ") + devices_[i].name;
  }
  if (unbound.empty()) return Status::success();
  return Status::error(EPERM, dev.name + "'s IOMMU group " + std::to_string(dev.group) +
                                  " is not wholly bound to this context: " + unbound);
}

void DeviceOwnership::close(ContextId ctx) {
  for (auto it = group_owner_.begin(); it != group_owner_.end();) {
    it = it->second == ctx ? group_owner_.erase(it) : std::next(it);
  }
  if (const Context* c = find(ctx)) {
    for (const auto& [label, index] : c->bound) bound_as_[index] = {0, ""};
  }
  contexts_.erase(ctx);
}

void DeviceOwnership::deliver(const std::vector<iommu::vtd::FaultRecord>& records) {
  for (const auto& record : records) {
    for (auto& [id, c] : contexts_) {
      for (const auto& [label, index] : c.bound) {
        if (devices_[index].requester_id.rid() != record.sid) continue;
        // FR's T bit is 1 for reads (VT-d spec 11.4.14).
        c.faults.push_back({label, record.fr, record.fi, record.pp, record.pv, !record.t});
      }
    }
  }
}

std::optional<Bdf> DeviceOwnership::device_tlb(Bdf bdf) const {
  if (ats_requesters_.contains(bdf.rid())) return bdf;
  return std::nullopt;
}

}  // namespace iommu_sim
