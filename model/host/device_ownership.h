// Who owns which device's DMA, by the rules of the /dev/ioasid proposal
// that iommufd implements: a context (an open /dev/iommu file) binds
// devices under labels and so claims their IOMMU groups, a group is owned
// by one context at a time (iommu_device_claim_dma_owner), and a device may
// be attached only when its whole group is bound to the context (its
// devices reach each other without the IOMMU). Each context also keeps
// what it attached and the faults of its devices not yet read. Nothing
// here touches the IOMMU: the manager does, after asking.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "iommu/formats/vtd_fault.h"
#include "model/host/status.h"
#include "model/pcie_attrs.h"

namespace iommu_sim {

// A PCI function as host software knows it after enumeration: its name,
// the requester ID its DMA reaches the IOMMU with, and its IOMMU group.
struct HostDevice {
  std::string name;
  Bdf requester_id;
  int group = 0;
  bool ats = false;  // has a device TLB: the host enables and invalidates it
};

using ContextId = std::uint32_t;
using IoasId = std::uint32_t;

// A non-recoverable fault of a bound device, as its context sees it.
struct LabelledFault {
  std::string label;
  std::uint8_t reason = 0;  // VT-d fault reason (FR)
  std::uint64_t page = 0;   // faulting address, page aligned (FI)
  bool pasid_present = false;
  std::uint32_t pasid = 0;
  bool write = false;
};

class DeviceOwnership {
 public:
  struct Context {
    std::map<std::string, int> bound;  // label -> device index
    // (requester ID, PASID) -> IOAS or HWPT and the devices using it
    // (functions behind one bridge share a requester ID, so an attachment).
    std::map<std::pair<std::uint16_t, std::uint32_t>, std::pair<IoasId, std::set<int>>> attached;
    std::vector<LabelledFault> faults;  // not yet read
  };
  struct Bound {
    Status status;
    Context* context = nullptr;
    int device = -1;  // index into devices()
  };

  // The devices enumeration found; set once, before any bind.
  void set_devices(std::vector<HostDevice> devices);
  const HostDevice& device(int index) const { return devices_.at(index); }

  ContextId open();
  Context* find(ContextId id);
  // EBADF for a context that is not open: it stands for a /dev/iommu file
  // descriptor, and a closed one is EBADF to every system call.
  static Status no_context(ContextId ctx);
  // EBADF: no such context; ENOENT: nothing bound as `label` in it.
  Bound find_bound(ContextId ctx, const std::string& label);
  // EBADF: no such context; ENOENT: no such device; EINVAL: empty label;
  // EEXIST: label in use; EINVAL: the device is bound (here or elsewhere);
  // EPERM: its group is owned by another context (named).
  Status bind(ContextId ctx, const std::string& device, const std::string& label);
  // EPERM unless every device of device `index`'s group is bound to `c`
  // (the message names the others). The /dev/ioasid proposal's rule: Linux
  // attaches the whole group once one device of it is bound, since the
  // bind claimed the group's DMA ownership for the context.
  Status check_group_bound(const Context& c, int index) const;
  // Gives up the context's groups and forgets it (its attachments must
  // have been detached).
  void close(ContextId ctx);
  // Hands each fault record to every binding of its requester (devices
  // sharing a requester ID are indistinguishable); faults of unbound
  // devices have no owner and are dropped.
  void deliver(const std::vector<iommu::vtd::FaultRecord>& records);
  // The device TLB to invalidate along with (bdf)'s translations: bdf if
  // a device behind that requester ID has ATS.
  std::optional<Bdf> device_tlb(Bdf bdf) const;

 private:
  std::vector<HostDevice> devices_;
  // Indexes of devices_, so that binding, attaching and the group check
  // cost the same whatever the number of devices (1,024 functions bound
  // one by one were quadratic, issue 17).
  std::map<std::string, int> index_of_;                      // name -> device index
  std::map<int, std::vector<int>> group_members_;            // group -> device indexes
  std::set<std::uint16_t> ats_requesters_;                   // requester IDs with a device TLB
  std::vector<std::pair<ContextId, std::string>> bound_as_;  // per device: context (0: none), label
  std::map<ContextId, Context> contexts_;
  std::map<int, ContextId> group_owner_;
  ContextId next_context_ = 1;
};

}  // namespace iommu_sim
