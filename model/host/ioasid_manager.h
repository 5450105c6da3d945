// The host's ioasid manager: contexts that bind devices (claiming their
// IOMMU groups) and attach them to I/O address spaces (IOAS) or hardware
// page tables (HWPT); IOAS with map/unmap/copy of 4 KiB-granular ranges,
// one page table and domain ID each, plus one per paging HWPT on it. A
// device is in the blocking domain (no PASID entry: its DMA faults) until
// attached and again after detach. An IOAS's table is first-level,
// second-level, or a guest's first-level table nested on a second-level
// IOAS that holds the guest's memory; a nested HWPT runs a table the user
// owns and invalidates. Unmap is strict or lazy (host.unmap).
// Calls are modelled on iommufd's (include/uapi/linux/iommufd.h) and return
// the errno it would; a failed call changes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <systemc>
#include <vector>

#include "model/host/change_listener.h"
#include "model/host/host_cpu.h"
#include "model/host/host_lock.h"
#include "model/host/host_params.h"
#include "model/host/iommu_driver.h"
#include "model/host/page_table.h"
#include "model/host/status.h"

namespace iommu_sim {

using IoasId = std::uint32_t;

enum class IoasTranslation : std::uint8_t { FirstLevel, SecondLevel, Nested };

struct IoasOptions {
  IoasTranslation translation = IoasTranslation::FirstLevel;
  // First-level: 4 or 5; second-level: 3, 4 or 5; nested: the guest's
  // first-level table (the parent's decides the second level).
  unsigned levels = 4;
  // Largest leaf map() uses where alignment allows: 12, 21 or 30.
  std::uint8_t max_page_shift = 12;
  // Nested only: the second-level IOAS whose first mapping is the guest's
  // memory; the guest's tables and mapped pages are allocated from it.
  IoasId parent = 0;
};

// A PCI function as host software knows it after enumeration: its name,
// the requester ID its DMA reaches the IOMMU with, and its IOMMU group.
struct HostDevice {
  std::string name;
  Bdf requester_id;
  int group = 0;
  bool ats = false;  // has a device TLB: the host enables and invalidates it
};

using ContextId = std::uint32_t;

// IOASes and hardware page tables (HWPTs) share one ID space, as iommufd's
// objects do, so an attachment names either (iommufd's pt_id).
struct IoasCreated {
  Status status;
  IoasId id = 0;
};
using HwptId = IoasId;

// A user-owned first-level table for a nested HWPT
// (struct iommu_hwpt_vtd_s1): its root is guest-physical, translated by
// the nest parent.
struct VtdStage1 {
  std::uint64_t root_gpa = 0;        // 4 KiB aligned
  unsigned levels = 4;               // 4 or 5 (addr_width 48 or 57)
  bool supervisor_requests = false;  // IOMMU_VTD_S1_SRE
};

// IOMMU_HWPT_INVALIDATE for a nested HWPT (struct
// iommu_hwpt_vtd_s1_invalidate), narrowed by label and PASID.
struct UserInvalidation {
  std::string label;                   // empty: every device attached
  std::optional<std::uint32_t> pasid;  // none: every PASID attached
  std::uint64_t addr = 0;              // 4 KiB aligned
  std::uint64_t npages = ~0ull;        // ~0 with addr 0: the whole space
  bool leaf = false;                   // IOMMU_VTD_INV_FLAGS_LEAF: keep paging-structure caches
};

class IoasidManager {
 public:
  // Page-table writes cost CPU time (host.cpu) on the calling thread's CPU.
  IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables, FrameAllocator& data,
                const HostParams& params, HostCpus& cpus);
  ~IoasidManager();

  // EINVAL: levels or page size the format lacks; ENODEV: the IOMMU does
  // not offer them (CAP.FL5LP, CAP.SAGAW, CAP.SLLPS, CAP.FL1GP); ENOENT:
  // a nested IOAS's parent does not exist or maps nothing.
  IoasCreated create_ioas(const IoasOptions& options = {});
  // Maps [iova, iova+length) to newly allocated memory (IOMMU_IOAS_MAP with
  // FIXED_IOVA). EINVAL: zero, unaligned or out-of-table range; EEXIST: an
  // overlap with an existing mapping; ENOENT: no such IOAS; ENOMEM: a
  // nested IOAS's guest memory is exhausted.
  Status map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable);
  // Maps [dst_iova, +length) of `dst` to the memory [src_iova, +length) of
  // `src` maps (IOMMU_IOAS_COPY). ENOENT: a hole in the source; the
  // destination's rules are map()'s. Host (non-nested) IOASes only.
  Status copy(IoasId dst, std::uint64_t dst_iova, IoasId src, std::uint64_t src_iova,
              std::uint64_t length);
  // Destroys an IOAS nothing uses. EBUSY: attached devices or a nested
  // child; ENOENT: no such IOAS. Its memory stays allocated (the model
  // never reuses frames).
  Status destroy_ioas(IoasId ioas);
  // Maps `length` bytes at an IOVA the allocator picks: the lowest one,
  // aligned to the IOAS's largest page size when the mapping is that big,
  // clear of mappings and reserved ranges (IOMMU_IOAS_MAP without
  // FIXED_IOVA). ENOSPC: no room.
  struct Mapped {
    Status status;
    std::uint64_t iova = 0;
  };
  Mapped map_anywhere(IoasId ioas, std::uint64_t length, bool writable);
  // Forbids [iova, iova+length) for mappings (as iommufd reserves ranges a
  // device cannot use). EADDRINUSE: something is mapped there.
  Status reserve(IoasId ioas, std::uint64_t iova, std::uint64_t length);
  // The ranges mappings may use (IOMMU_IOAS_IOVA_RANGES): the table's input
  // space minus reserved ranges, among them the interrupt window
  // 0xFEE00000-0xFEEFFFFF (VT-d spec 5.1.4: DMA writes there are
  // interrupt requests, never translated).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> iova_ranges(IoasId ioas);
  // Unmaps whole mappings inside [iova, iova+length) (IOMMU_IOAS_UNMAP).
  // ENOENT: nothing mapped there, or the range cuts a mapping. Strict
  // (host.unmap): returns after the invalidation and its wait. Lazy: queues
  // the invalidation (flush_queue); the range cannot be mapped again (EBUSY)
  // or handed out by map_anywhere until the queue was flushed.
  Status unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
               std::uint64_t* unmapped = nullptr);
  // Flushes every lazily queued unmap: one invalidation per domain.
  Status flush_queue();
  std::uint64_t queue_flushes() const { return queue_flushes_; }
  // Told of every change to what a device may reach and of when it is
  // settled (the ordering oracle); may be null.
  void set_change_listener(ChangeListener* listener) { listener_ = listener; }
  // A user changed the first-level table at guest-physical `root_gpa`
  // (owned by the user, under nested HWPTs) in [lo, hi): the change is
  // pending for every attachment of those HWPTs until invalidate_hwpt
  // covers it.
  void user_table_changed(std::uint64_t root_gpa, std::uint64_t lo, std::uint64_t hi);

  // The devices enumeration found; set once, before any bind.
  void set_devices(std::vector<HostDevice> devices) { devices_ = std::move(devices); }

  // A context is what an open /dev/iommu file is to iommufd: the owner of
  // device bindings and their attachments.
  ContextId open_context();
  // Detaches everything the context attached (each back to blocking) and
  // releases its devices and their groups. ENOENT: no such context.
  Status close_context(ContextId ctx);
  // Binds `device` to the context under `label`, claiming DMA ownership of
  // its IOMMU group. ENOENT: no such context or device; EEXIST: label in
  // use; EBUSY: the device is bound, or its group is owned by another
  // context (named).
  Status bind(ContextId ctx, const std::string& device, const std::string& label);
  // Attaches the device bound as `label`, PASID `pasid`, to `ioas`. EPERM
  // unless every device of its group is bound to this context (the message
  // names the others); EBUSY: that (device, PASID) is attached already.
  Status attach_device(ContextId ctx, const std::string& label, std::uint32_t pasid, IoasId ioas);
  // Moves an attached (device, PASID) to another IOAS in one step: the
  // PASID entry is rewritten in place, so every DMA translates with the old
  // or the new table, never neither (IOMMU_HWPT replace). ENOENT: not
  // attached or no such IOAS.
  Status replace_device(ContextId ctx, const std::string& label, std::uint32_t pasid, IoasId ioas);
  // What the IOMMU serving a bound device can do, read from its capability
  // registers (IOMMU_GET_HW_INFO). ENOENT: no such binding.
  struct Capabilities {
    Status status;
    std::uint64_t page_sizes = 0;  // bit n: 2^n-byte pages
    unsigned address_width = 0;    // CAP.MGAW + 1
    unsigned pasid_bits = 0;       // ECAP.PSS + 1
    bool first_level_5_level = false, second_level = false, nesting = false;
    bool ats = false;  // ECAP.DT: device TLBs
  };
  Capabilities capabilities(ContextId ctx, const std::string& label);
  // A non-recoverable fault of a bound device, as its context sees it.
  struct LabelledFault {
    std::string label;
    std::uint8_t reason = 0;  // VT-d fault reason (FR)
    std::uint64_t page = 0;   // faulting address, page aligned (FI)
    bool pasid_present = false;
    std::uint32_t pasid = 0;
    bool write = false;
  };
  // Drains the IOMMU's fault records (as Linux's dmar_fault does), hands
  // each to the context that binds the requester (faults of unbound
  // devices are dropped: nobody owns them) and returns, oldest first, the
  // faults queued for `ctx` since its last call. Devices sharing a
  // requester ID are indistinguishable, so each of their bindings gets it.
  std::vector<LabelledFault> read_faults(ContextId ctx);
  // Returns (device, PASID) to the blocking domain: when this returns, no
  // DMA of it reaches memory. ENOENT: not attached.
  Status detach_device(ContextId ctx, const std::string& label, std::uint32_t pasid);

  // Hardware page tables (IOMMU_HWPT_ALLOC), allocated for the IOMMU of
  // the device bound as `label`. attach_device/replace_device take their
  // IDs as well as IOAS IDs.
  //
  // A paging HWPT holds its own page table and domain ID, filled with the
  // IOAS's mappings and kept in step with every later map/unmap/copy (as
  // iommufd fills each domain of an IOAS). Its format is Linux's choice
  // for VT-d: first-level, unless `nest_parent` asks for a second-level
  // table a nested HWPT can stand on. ENOENT: no such context, label or
  // IOAS; EOPNOTSUPP: nest_parent without ECAP.NEST; the IOAS's page size
  // or levels the format lacks give check_options' errors.
  IoasCreated alloc_hwpt(ContextId ctx, const std::string& label, IoasId ioas,
                         bool nest_parent = false);
  // A nested HWPT: the user's first-level table over a nest-parent HWPT.
  // The manager never writes that table; the user changes it and then
  // calls invalidate_hwpt. EINVAL: parent is not a nest-parent HWPT, root
  // unaligned, levels not 4/5; ENODEV: 5 levels without CAP.FL5LP;
  // EOPNOTSUPP: no ECAP.NEST.
  IoasCreated alloc_nested_hwpt(ContextId ctx, const std::string& label, HwptId parent,
                                const VtdStage1& stage1);
  // Turns a user's invalidation request for a nested HWPT into PASID-based
  // IOTLB invalidation descriptors, one per matching (device, PASID)
  // attachment, and waits for them. EOPNOTSUPP: a paging HWPT (the
  // manager invalidates those itself); EINVAL: unaligned address, zero or
  // overflowing page count; ENOENT: no such HWPT, label, or no attachment
  // matches.
  Status invalidate_hwpt(ContextId ctx, HwptId hwpt, const UserInvalidation& request);
  // EBUSY: attached devices or nested children; ENOENT: no such HWPT.
  Status destroy_hwpt(HwptId hwpt);

  // The host-physical address an IOVA maps to, read from the page tables
  // in memory (both levels when nested).
  std::optional<std::uint64_t> physical(IoasId ioas, std::uint64_t iova);
  // Of an IOAS or a HWPT (a nested HWPT's root is the user's, guest-physical).
  std::uint16_t domain_id(IoasId id) const;
  // A domain ID for a domain outside the manager (the DMA API's default
  // domains): one ID space per IOMMU, as Linux's domain ID allocator.
  std::uint16_t allocate_domain_id() { return next_did_++; }
  std::uint64_t page_table_root(IoasId id) const;

 private:
  struct Area {
    std::uint64_t length;
    std::uint64_t physical;  // output address: guest-physical when nested
    bool writable;
  };
  struct AddressSpace {
    std::uint16_t did = 0;
    IoasOptions options;
    // A second-level IOAS with nested children: its first mapping is guest
    // memory, handed out (guest-physical) by `guest_frames` to them all.
    std::unique_ptr<FrameAllocator> guest_frames;
    std::uint64_t guest_memory_start = 0, guest_memory_end = 0;
    // Nested: the parent's guest memory allocator.
    FrameAllocator* guest_memory = nullptr;
    std::unique_ptr<PageTable> table;
    std::map<std::uint64_t, Area> areas;              // by first IOVA
    std::map<std::uint64_t, std::uint64_t> reserved;  // first IOVA -> end (exclusive)
    std::map<std::uint64_t, std::uint64_t> pending;   // lazily unmapped, not yet flushed
    std::vector<std::pair<Bdf, std::uint32_t>> attached;
    std::vector<IoasId> children;  // nested IOAS on this one
    std::vector<HwptId> hwpts;     // paging HWPTs holding these mappings
  };
  struct Hwpt {
    std::uint16_t did = 0;
    bool nest_parent = false;
    IoasId ioas = 0;                   // paging: whose mappings it holds
    std::unique_ptr<PageTable> table;  // paging
    HwptId parent = 0;                 // nested: the nest-parent HWPT
    VtdStage1 stage1;                  // nested
    std::vector<std::pair<Bdf, std::uint32_t>> attached;
    std::vector<HwptId> children;  // nested HWPTs on a nest parent
  };
  // What a PASID entry pointing at an IOAS or HWPT holds, and the list
  // of its attachments.
  struct Target {
    Status status;
    PasidSetup setup;
    std::vector<std::pair<Bdf, std::uint32_t>>* attached = nullptr;
  };
  Target target(IoasId id);
  Hwpt* find_hwpt(HwptId id);
  // Every table an IOAS's mappings are written to: its own, then its
  // paging HWPTs'.
  std::vector<PageTable*> tables_of(AddressSpace& as);
  // Flushes, for a change to a second-level table, every nested
  // translation cached through it: whole domains, since those entries are
  // tagged with guest IOVAs.
  Status flush_nested(const std::vector<std::pair<Bdf, std::uint32_t>>& attached,
                      std::uint16_t did);
  // Every (device, PASID) whose translations a change to the IOAS's
  // mappings in [lo, hi) affects, with the IOVA range it affects: the
  // range itself for users of its tables, everything for nested users
  // (their IOVAs are guest IOVAs).
  struct Affected {
    Bdf bdf;
    std::uint32_t pasid;
    std::uint64_t lo, hi;
  };
  std::vector<Affected> affected(const AddressSpace& as, std::uint64_t lo, std::uint64_t hi) const;
  void notify_changing(const std::vector<Affected>& list);
  void notify_settled(const std::vector<Affected>& list);
  void notify_returned(const std::vector<Affected>& list);
  // Entries written and table pages allocated in an IOAS's tables, to
  // charge the CPU for an update: pte_write_ns and table_alloc_ns each.
  struct TableWork {
    std::uint64_t entries = 0, tables = 0;
  };
  TableWork table_work(AddressSpace& as);
  void charge(AddressSpace& as, CpuWork work, const TableWork& before);

  struct Context {
    std::map<std::string, int> bound;  // label -> device index
    // (requester ID, PASID) -> IOAS and the devices using it (functions
    // behind one bridge share a requester ID, so an attachment).
    std::map<std::pair<std::uint16_t, std::uint32_t>, std::pair<IoasId, std::set<int>>> attached;
    std::vector<LabelledFault> faults;  // not yet read
  };
  AddressSpace* find(IoasId id);
  Context* find_context(ContextId id);
  struct Bound {
    Status status;
    Context* context = nullptr;
    int device = -1;  // index into devices_
  };
  Bound find_bound(ContextId ctx, const std::string& label);
  // Points (bdf, pasid) at the IOAS's page table.
  Status attach(Bdf bdf, std::uint32_t pasid, IoasId id);
  Status detach(Bdf bdf, std::uint32_t pasid, IoasId id);
  Status check_options(const IoasOptions& o) const;
  // The device TLB to invalidate along with (bdf)'s translations: bdf if
  // a device behind that requester ID has ATS.
  std::optional<Bdf> device_tlb(Bdf bdf) const;
  std::uint64_t iova_limit(const AddressSpace& as) const;
  // map()'s checks of a range: alignment, table width, overlaps, pending
  // lazy unmaps, reserved ranges.
  Status check_range(AddressSpace* as, std::uint64_t iova, std::uint64_t length);
  void write_area(AddressSpace& as, std::uint64_t iova, std::uint64_t pa, std::uint64_t length,
                  bool writable);
  // Maps a range into each table with the largest pages (up to 2^max_shift)
  // that the alignment of IOVA, address and length allows.
  static void map_pages(const std::vector<PageTable*>& tables, std::uint8_t max_shift,
                        std::uint64_t iova, std::uint64_t pa, std::uint64_t length, bool writable);
  // `leaf_only` sets IH: the paging-structure caches are kept.
  Status flush(const AddressSpace& as, std::uint64_t iova, std::uint64_t length,
               bool leaf_only = false);

  HostBus& bus_;
  IommuDriver& driver_;
  FrameAllocator& tables_;
  FrameAllocator& data_;
  HostCpus& cpus_;
  HostCpuParams costs_;
  std::map<IoasId, std::unique_ptr<AddressSpace>> spaces_;
  std::map<HwptId, std::unique_ptr<Hwpt>> hwpts_;
  std::vector<HostDevice> devices_;
  std::map<ContextId, Context> contexts_;
  std::map<int, ContextId> group_owner_;
  ContextId next_context_ = 1;
  // Lazy unmap's flush queue.
  void arm_flush_timer();
  bool lazy_;
  std::uint32_t flush_queue_size_;
  sc_core::sc_time flush_timeout_;
  bool invalidate_before_clear_;  // host.bug
  bool free_tables_early_;        // host.bug
  bool reuse_before_flush_;       // host.bug
  ChangeListener* listener_ = nullptr;
  std::vector<Affected> unsettled_;
  std::vector<std::uint64_t> freed_tables_;  // lazily unmapped, released by the flush
  HostLock lock_;                            // lazily unmapped, settled by the flush
  std::uint32_t queued_ = 0;
  std::uint64_t queue_flushes_ = 0;
  bool timer_armed_ = false;
  IoasId next_id_ = 1;
  std::uint16_t next_did_ = 1;
};

}  // namespace iommu_sim
