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
// the errno it would; a failed call changes nothing. docs/errno.md lists
// every refusal, the Linux function that answers it, and its test.
//
// The manager is the facade that holds the lock and tells the oracle;
// the work is split by role: DeviceOwnership (contexts, bindings, group
// ownership, faults), IovaMap (each IOAS's areas, reserved and pending
// ranges), PageTable (the tables in memory), FlushQueue (lazy unmap's
// per-CPU queues, one set per IOAS) and IommuDriver (the hardware).
#pragma once

#include <boost/icl/interval_set.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/host/change_listener.h"
#include "model/host/device_ownership.h"
#include "model/host/domain_ids.h"
#include "model/host/flush_queue.h"
#include "model/host/host_cpu.h"
#include "model/host/host_lock.h"
#include "model/host/host_params.h"
#include "model/host/iommu_driver.h"
#include "model/host/iommufd_uapi.h"
#include "model/host/iova_map.h"
#include "model/host/page_table.h"
#include "model/host/status.h"
#include "model/stats.h"

namespace iommu_sim {

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
  // The context whose object the IOAS is, as an IOAS belongs to the
  // /dev/iommu file that allocated it: only that context's calls find it
  // (iommufd_get_object looks IDs up in the file's own xarray) and closing
  // it destroys it. 0: the platform's (the config's address spaces),
  // found by every context and destroyed by none.
  ContextId owner = 0;
};

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

// IOMMU_HWPT_ALLOC's arguments (struct iommu_hwpt_alloc): flags
// (iommufd::kHwptAlloc*), and the type and length of the driver data,
// which for iommufd::kHwptDataVtdS1 is `stage1` (struct
// iommu_hwpt_vtd_s1, iommufd::kHwptVtdS1Size bytes).
struct HwptAlloc {
  std::uint32_t flags = 0, data_type = iommufd::kHwptDataNone, data_len = 0;
  VtdStage1 stage1;
};

// One entry of IOMMU_HWPT_INVALIDATE's array (struct
// iommu_hwpt_vtd_s1_invalidate): [addr, addr + npages * 4 KiB), or every
// address with addr 0 and npages ~0.
struct InvalidationEntry {
  std::uint64_t addr = 0, npages = ~0ull;
  std::uint32_t flags = 0;     // iommufd::kVtdInvFlagsLeaf: keep paging-structure caches
  std::uint32_t reserved = 0;  // __reserved, must be 0
};
// IOMMU_HWPT_INVALIDATE (struct iommu_hwpt_invalidate) with the model's
// narrowing by label and PASID (UserInvalidation's).
struct HwptInvalidation {
  std::string label;                   // empty: every device attached
  std::optional<std::uint32_t> pasid;  // none: every PASID attached
  std::uint32_t data_type = iommufd::kHwptInvalidateDataVtdS1;
  std::vector<InvalidationEntry> entries;
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
  // Lazy unmap's queues count under host.ioas.fq.*.
  IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables, FrameAllocator& data,
                const HostParams& params, HostCpus& cpus, StatsRegistry& stats);
  ~IoasidManager();

  // IOMMU_IOAS_ALLOC, with a format iommufd leaves to Linux: EBADF: the
  // owner is a context that is not open (an ioctl on a closed file
  // descriptor); EINVAL: levels or page size the format lacks; ENODEV: the
  // IOMMU does not offer them (CAP.FL5LP, CAP.SAGAW, CAP.SLLPS,
  // CAP.FL1GP); ENOSPC: no domain ID left (domain_attach_iommu). Nested:
  // EINVAL: the parent does not exist, is another context's (an object
  // refers only to objects its owner finds) or is not second-level (as a
  // nested HWPT's, iommufd_hwpt_alloc, iommufd_hwpt_nested_alloc);
  // ENOENT: it maps nothing; ENOMEM: its guest memory is used up.
  IoasCreated create_ioas(const IoasOptions& options = {});
  // Maps [iova, iova+length) to newly allocated memory, readable and
  // optionally writable (IOMMU_IOAS_MAP with FIXED_IOVA): map_user with
  // FIXED_IOVA | READABLE (| WRITEABLE), and its errors.
  Status map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable);
  // Maps [dst_iova, +length) of `dst` to the memory [src_iova, +length) of
  // `src` maps (IOMMU_IOAS_COPY), the source checked first as
  // iommufd_ioas_copy does. EOVERFLOW: an argument is 2^64 - 1; ENOENT: no
  // such IOAS or a hole in the source; EINVAL/EOVERFLOW: an empty or
  // overflowing source (iopt_get_pages); the destination's rules are
  // map()'s; EINVAL: src_iova not 4 KiB aligned (iopt_insert_area), or a
  // nested IOAS (host IOASes only).
  Status copy(IoasId dst, std::uint64_t dst_iova, IoasId src, std::uint64_t src_iova,
              std::uint64_t length);
  // Destroys an IOAS nothing uses (IOMMU_DESTROY). EBUSY: attached
  // devices, a nested child or a paging HWPT; ENOENT: no such IOAS
  // (iommufd_object_remove). Its memory stays allocated (the model never
  // reuses frames). Its domain ID is freed for reuse (Linux
  // domain_detach_iommu's ida_free); if a device ever used the domain, a
  // domain-selective IOTLB invalidation and its wait come first, so that
  // no IOTLB or paging-structure cache entry still carries the ID.
  Status destroy_ioas(IoasId ioas);
  // Maps `length` bytes, readable and optionally writable, at an IOVA the
  // allocator picks (IOMMU_IOAS_MAP without FIXED_IOVA): map_user without
  // FIXED_IOVA, and its errors.
  struct Mapped {
    Status status;
    std::uint64_t iova = 0;
  };
  Mapped map_anywhere(IoasId ioas, std::uint64_t length, bool writable);
  // IOMMU_IOAS_MAP: maps `length` bytes of newly allocated memory, with
  // `flags` of iommufd::kIoasMap*. With FIXED_IOVA at `iova`; without it
  // at the lowest free IOVA from 4 KiB up, aligned to the IOAS's largest
  // page size when the mapping is that big, clear of mappings, reserved
  // ranges and lazily unmapped ones, and inside the allowed ranges
  // (allow_iovas) if there are any; `iova` is then ignored (but for the
  // EOVERFLOW check) and the result's iova is the one chosen. READABLE
  // and WRITEABLE grant DMA reads and writes; a first-level entry cannot
  // refuse reads (its P bit grants them: Linux's __domain_mapping writes
  // P for any mapping), so WRITEABLE alone is readable in first-level
  // tables and write-only (R=0, W=1) in second-level ones, as Linux's
  // VT-d driver writes them ("iommu/vt-d: Restore WO permissions on
  // second-level paging entries"). Errors (a flag, 2^64 - 1 and the
  // permissions are checked before the IOAS is looked up, as
  // iommufd_ioas_map does):
  // EOPNOTSUPP: an unknown flag (iommufd_ioas_map);
  // EOVERFLOW: iova or length is 2^64 - 1 (iommufd_ioas_map), or the
  //   range wraps (iopt_check_iova), or an automatic length reaches 2^63
  //   (iopt_alloc_iova);
  // EINVAL: neither READABLE nor WRITEABLE (iommufd_ioas_map);
  // ENOENT: no such IOAS (iommufd_get_ioas);
  // EINVAL: a zero or unaligned length or IOVA (iopt_alloc_area_pages,
  //   iopt_check_iova), a range beyond the table (its aperture, which
  //   iommufd reserves) or over a reserved range, checked before the
  //   mappings (iopt_check_iova);
  // EEXIST: a fixed range overlaps a mapping (iopt_check_iova);
  // EBUSY: it overlaps a range unmapped lazily and not yet flushed
  //   (simulator only: iommufd unmaps strictly);
  // ENOSPC: no free range fits (iopt_alloc_iova);
  // ENOMEM: a nested IOAS's guest memory is exhausted (simulator only).
  // The allowed ranges do not limit fixed mappings: iopt_check_iova does
  // not consult them.
  Mapped map_user(IoasId ioas, std::uint32_t flags, std::uint64_t iova, std::uint64_t length);
  // Forbids [iova, iova+length) for mappings (as iommufd reserves ranges a
  // device cannot use; no ioctl does this). ENOENT: no such IOAS; EINVAL:
  // an empty or overflowing range; EADDRINUSE: something is mapped there,
  // or it overlaps an allowed range (iopt_reserve_iova).
  Status reserve(IoasId ioas, std::uint64_t iova, std::uint64_t length);
  // IOMMU_IOAS_ALLOW_IOVAS: replaces the IOAS's allowed ranges, each
  // {start, last} inclusive (struct iommu_iova_range); an empty list
  // allows everything again. Automatic IOVAs are then taken only inside
  // them; fixed mappings and existing ones are not affected (mappings
  // outside the new list stay: iopt_set_allow_iova only swaps the list).
  // ENOENT: no such IOAS (iommufd_get_ioas); EINVAL: a range with start
  // >= last, or one overlapping an earlier range of the list
  // (iommufd_ioas_load_iovas); EADDRINUSE: a range overlaps a reserved
  // range, among them the interrupt window and everything beyond the
  // table's input space, which iommufd reserves outside a domain's
  // aperture (iopt_set_allow_iova). A failed call keeps the old list.
  Status allow_iovas(IoasId ioas,
                     const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges);
  // The ranges mappings may use (IOMMU_IOAS_IOVA_RANGES), each {start,
  // last} inclusive (struct iommu_iova_range): the table's input space
  // minus reserved ranges, among them the interrupt window
  // 0xFEE00000-0xFEEFFFFF (VT-d spec 5.1.4: DMA writes there are
  // interrupt requests, never translated). The allowed list does not
  // narrow it: iommufd_ioas_iova_ranges reports the holes of the reserved
  // ranges only. Empty for an IOAS that does not exist.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> iova_ranges(IoasId ioas);
  // Unmaps whole mappings inside [iova, iova+length) (IOMMU_IOAS_UNMAP).
  // iova 0 with length 2^64 - 1 unmaps everything and succeeds on an empty
  // IOAS (iopt_unmap_all). ENOENT: no such IOAS, nothing mapped there, or
  // the range cuts a mapping; EINVAL: length 0; EOVERFLOW: iova or length
  // 2^64 - 1 otherwise, or a last byte past 2^64 (iopt_unmap_iova); EBUSY:
  // a nested IOAS's guest memory. Strict (host.unmap): returns after the
  // invalidation and its wait. Lazy: puts the range in the calling CPU's
  // flush queue of the IOAS, as dma-iommu does (FlushQueue: a full ring or
  // the timer flushes the whole domain); the range cannot be mapped again
  // (EBUSY) or handed out by map_anywhere until the queue released it
  // after a flush.
  Status unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
               std::uint64_t* unmapped = nullptr);
  const FlushQueueStats& flush_queue_stats() const { return fq_stats_; }
  // Told of every change to what a device may reach and of when it is
  // settled (the ordering oracle); may be null.
  void set_change_listener(ChangeListener* listener) { listener_ = listener; }
  // A user changed the first-level table at guest-physical `root_gpa`
  // (owned by the user, under nested HWPTs) in [lo, hi): the change is
  // pending for every attachment of those HWPTs until invalidate_hwpt
  // covers it. `non_leaf`: a table pointer changed (or may have), which a
  // leaf-only invalidation does not settle: with IOMMU_VTD_INV_FLAGS_LEAF
  // (IH=1) the paging-structure caches keep what they hold (VT-d spec
  // 6.5.2.4), so only an invalidation without it covering the range does.
  void user_table_changed(std::uint64_t root_gpa, std::uint64_t lo, std::uint64_t hi,
                          bool non_leaf = false);

  // The devices enumeration found; set once, before any bind.
  void set_devices(std::vector<HostDevice> devices) { owners_.set_devices(std::move(devices)); }

  // A context is what an open /dev/iommu file is to iommufd: the owner of
  // device bindings and their attachments.
  ContextId open_context();
  // Detaches everything the context attached (each back to blocking),
  // releases its devices and their groups, then destroys every IOAS and
  // HWPT the context owns as iommufd_fops_release does: passes over them
  // in ID order, destroying each nothing uses any more, until none is
  // left (so nested HWPTs go before their parents and HWPTs before their
  // IOAS), each as destroy_ioas / destroy_hwpt would. EBADF: no such
  // context, as close(2) answers a file descriptor that is not open.
  Status close_context(ContextId ctx);
  // Binds `device` to the context under `label`, claiming DMA ownership of
  // its IOMMU group (VFIO_DEVICE_BIND_IOMMUFD). EBADF: no such context
  // (iommufd_ctx_from_fd); ENOENT: no such device; EINVAL: empty label;
  // EEXIST: label in use; EINVAL: the device is bound already (Linux
  // vfio_df_open); EPERM: its group is owned by another context (named;
  // Linux iommu_device_claim_dma_owner).
  Status bind(ContextId ctx, const std::string& device, const std::string& label);
  // Attaches the device bound as `label`, PASID `pasid`, to `ioas`
  // (iommufd_device_attach): an IOAS, a HWPT, or an IOAS's automatic
  // HWPT. Attached to an IOAS, the device uses the IOAS's own table and
  // domain, which play the paging HWPT iommufd finds or creates for it
  // (iommufd_device_auto_get_domain): that automatic HWPT gets an ID at
  // the IOAS's first attachment and loses it when the last one goes
  // (detach, replace, close: the auto domain is destroyed with its last
  // user, iommufd_hw_pagetable_put); naming that ID attaches as naming the
  // IOAS does. `pt_id`, if given, receives the HWPT the attachment uses
  // (IOMMU_DEVICE_ATTACH's pt_id out): the automatic one for an IOAS,
  // else the HWPT named.
  // EBADF: no such context; ENOENT: no such label (iommufd_get_object),
  // or no such IOAS or HWPT, or another context's
  // (iommufd_device_change_pt, iommufd_get_object); EPERM unless every
  // device of its group is bound to this context (the message names the
  // others); EBUSY: that (device, PASID) is attached already
  // (iommufd_hw_pagetable_attach; VFIO's ioctl replaces instead); EINVAL:
  // a device sharing its requester ID is attached there to another IOAS
  // or HWPT (iommufd_hw_pagetable_attach), a PASID beyond the PASID
  // directory, host.pasid_dir_size_bits (iommu_attach_device_pasid), or a
  // HWPT with dirty tracking (or a nested one on such a parent) for a
  // PASID other than 0, RID_PASID (intel_iommu_set_dev_pasid,
  // intel_nested_set_dev_pasid).
  Status attach_device(ContextId ctx, const std::string& label, std::uint32_t pasid, IoasId ioas,
                       HwptId* pt_id = nullptr);
  // Moves an attached (device, PASID) to another IOAS or HWPT in one
  // step: the PASID entry is rewritten in place, so every DMA translates
  // with the old or the new table, never neither (iommufd_device_replace).
  // Leaving an IOAS whose last attachment it was destroys its automatic
  // HWPT. `pt_id` as attach_device's. EBADF: no such context; ENOENT: no
  // such label, IOAS or HWPT, or another context's; EINVAL: not attached
  // (iommufd_device_change_pt), or attach_device's dirty-tracking rule.
  Status replace_device(ContextId ctx, const std::string& label, std::uint32_t pasid, IoasId ioas,
                        HwptId* pt_id = nullptr);
  // What the IOMMU serving a bound device can do, read from its capability
  // registers (IOMMU_GET_HW_INFO). EBADF: no such context; ENOENT: no such
  // binding (iommufd_get_hw_info).
  struct Capabilities {
    Status status;
    std::uint64_t page_sizes = 0;  // bit n: 2^n-byte pages
    unsigned address_width = 0;    // CAP.MGAW + 1
    unsigned pasid_bits = 0;       // ECAP.PSS + 1
    bool first_level_5_level = false, second_level = false, nesting = false;
    bool ats = false;  // ECAP.DT: device TLBs
  };
  Capabilities capabilities(ContextId ctx, const std::string& label);
  using LabelledFault = iommu_sim::LabelledFault;
  // Drains the IOMMU's fault records (as Linux's dmar_fault does), hands
  // each to the context that binds the requester (faults of unbound
  // devices are dropped: nobody owns them) and returns, oldest first, the
  // faults queued for `ctx` since its last call. Devices sharing a
  // requester ID are indistinguishable, so each of their bindings gets it.
  std::vector<LabelledFault> read_faults(ContextId ctx);
  // Returns (device, PASID) to the blocking domain: when this returns, no
  // DMA of it reaches memory. EBADF: no such context; ENOENT: no such
  // label. A (device, PASID) that is not attached is left as it is, and
  // the call succeeds, as VFIO_DEVICE_DETACH_IOMMUFD_PT does.
  Status detach_device(ContextId ctx, const std::string& label, std::uint32_t pasid);

  // Hardware page tables (IOMMU_HWPT_ALLOC), allocated for the IOMMU of
  // the device bound as `label` and owned by `ctx` (closing it destroys
  // them). attach_device/replace_device take their IDs as well as IOAS
  // IDs. What `pt_id` names decides the kind, as in iommufd_hwpt_alloc:
  //
  // An IOAS: a paging HWPT, its own page table and domain ID, filled with
  // the IOAS's mappings and kept in step with every later map/unmap/copy
  // (as iommufd fills each domain of an IOAS). Its format is Linux's
  // choice for VT-d (intel_iommu_domain_alloc_paging_flags): first-level,
  // second-level with NEST_PARENT (a table a nested HWPT can stand on) or
  // DIRTY_TRACKING (second-level A/D bits; the model's IOMMU has
  // ECAP.SLADS, so it is offered; nothing here turns tracking on, as
  // IOMMU_HWPT_SET_DIRTY_TRACKING would). ALLOC_PASID is accepted
  // (every attachment here is PASID-granular).
  // A paging HWPT (not an automatic one): a nested HWPT, the user's
  // first-level table (`stage1`, data type VTD_S1) over that nest
  // parent. The manager never writes that table; the user changes it and
  // then calls invalidate_hwpt.
  //
  // Errors in iommufd's order:
  // EBADF: no such context (an ioctl on a closed file descriptor);
  // EINVAL: data_type NONE with a data_len, or another type without
  //   (iommufd_hwpt_alloc);
  // ENOENT: no such label (iommufd_get_device);
  // EINVAL: pt_id names nothing, another context's object, or a nested
  //   HWPT (iommufd_hwpt_alloc answers any failed pt_id lookup so);
  // paging (pt_id an IOAS): EOPNOTSUPP: an unknown flag, DIRTY_TRACKING
  //   without ECAP.SLADS, FAULT_ID_VALID with NEST_PARENT
  //   (iommufd_hwpt_paging_alloc), NEST_PARENT without ECAP.NEST/SLTS, or
  //   any data, as alloc_nested_hwpt on an IOAS gives
  //   (intel_iommu_domain_alloc_paging_flags); EINVAL: a nested IOAS
  //   (simulator only: its addresses are guest-physical);
  // nested (pt_id a paging HWPT): EOPNOTSUPP: a flag but FAULT_ID_VALID
  //   and ALLOC_PASID, or no data, as alloc_hwpt(bool) on a paging HWPT
  //   gives (iommufd_hwpt_nested_alloc); EINVAL: the parent is automatic
  //   or not a nest parent (iommufd_hwpt_nested_alloc); EOPNOTSUPP: no
  //   ECAP.NEST, a data type but VTD_S1 (intel_iommu_domain_alloc_nested);
  //   EINVAL: data_len below iommufd::kHwptVtdS1Size
  //   (iommu_copy_struct_from_user; a longer one is accepted, its tail
  //   being zero: the model has no bytes beyond the struct), levels not
  //   4/5 or 5 without CAP.FL5LP (Linux finds these at attach,
  //   intel_pasid_setup_nested; the model at allocation), root unaligned
  //   (simulator only: Linux drops the low bits, pasid_set_flptr);
  // the IOAS's page size or levels the format lacks give check_options'
  //   errors (ENODEV, simulator only); ENOSPC: no domain ID left
  //   (domain_attach_iommu);
  // ENOENT: FAULT_ID_VALID: the model has no FAULT objects
  //   (IOMMU_FAULT_QUEUE_ALLOC), so no fault_id names one
  //   (iommufd_get_fault, after the domain is allocated).
  IoasCreated alloc_hwpt(ContextId ctx, const std::string& label, IoasId pt_id,
                         const HwptAlloc& args);
  // A paging HWPT on `ioas`: alloc_hwpt with flags NEST_PARENT or none.
  IoasCreated alloc_hwpt(ContextId ctx, const std::string& label, IoasId ioas,
                         bool nest_parent = false);
  // A nested HWPT: alloc_hwpt with data VTD_S1, `stage1`.
  IoasCreated alloc_nested_hwpt(ContextId ctx, const std::string& label, HwptId parent,
                                const VtdStage1& stage1);
  // IOMMU_HWPT_INVALIDATE on a nested HWPT: handles the entries in order,
  // each as intel_nested_cache_invalidate_user does, and stops at the
  // first bad one; `processed` is set to how many were handled before it
  // (those took effect). An entry becomes PASID-based IOTLB invalidation
  // descriptors, one per matching PASID, with IH for the leaf flag, and
  // device-TLB ones for devices with ATS, then a wait. Without a label or
  // PASID, a HWPT nothing is attached to has nothing to invalidate: each
  // entry succeeds, flushing nothing (Linux flushes the domain's cache
  // tags, of which it has none).
  // Before the loop (processed 0): EBADF: no such context; ENOENT:
  // `hwpt` names nothing or another context's object
  // (iommufd_get_object); EINVAL: it is an IOAS or a paging HWPT
  // (iommufd_hwpt_invalidate: only nested HWPTs and vIOMMUs take user
  // invalidations; the manager invalidates those itself), or the data
  // type is not VTD_S1 (intel_nested_cache_invalidate_user). An empty
  // array succeeds at that point. Per entry, stopping the loop:
  // EOPNOTSUPP: a flag but LEAF, or nonzero reserved;
  // EINVAL: addr not 4 KiB aligned, or npages ~0 with addr not 0
  //   (intel_nested_cache_invalidate_user); npages 0, or a range past
  //   2^64 (simulator only: Linux flushes the empty or wrapped range
  //   unchecked);
  // ENOENT: the model's narrowing: `label` is bound to no device, or no
  //   attachment matches the label or PASID given (checked at the first
  //   entry that passes the checks above).
  Status invalidate_hwpt(ContextId ctx, HwptId hwpt, const HwptInvalidation& request,
                         std::uint32_t& processed);
  // The same with one entry {addr, npages, LEAF if leaf}.
  Status invalidate_hwpt(ContextId ctx, HwptId hwpt, const UserInvalidation& request);
  // Destroys a HWPT nothing uses (IOMMU_DESTROY), its domain ID freed as
  // destroy_ioas frees one. EBUSY: attached devices or nested children,
  // or an automatic HWPT (it exists only while attached); ENOENT: no such
  // HWPT, or an IOAS (iommufd_object_remove).
  Status destroy_hwpt(HwptId hwpt);

  // The host-physical address an IOVA maps to, read from the page tables
  // in memory (both levels when nested).
  std::optional<std::uint64_t> physical(IoasId ioas, std::uint64_t iova);
  // Of an IOAS or a HWPT (a nested HWPT's root is the user's, guest-physical;
  // an automatic HWPT's are its IOAS's).
  std::uint16_t domain_id(IoasId id) const;
  // A domain ID for a domain outside the manager (the DMA API's default
  // domains): one ID space per IOMMU, as Linux's domain ID allocator, the
  // lowest free one. None when every ID the IOMMU offers is taken.
  std::optional<std::uint16_t> allocate_domain_id() { return dids().allocate(); }
  std::uint64_t page_table_root(IoasId id) const;

 private:
  struct AddressSpace {
    std::uint16_t did = 0;
    IoasOptions options;
    std::unique_ptr<IovaMap> iovas;
    // A second-level IOAS with nested children: its first mapping is guest
    // memory, handed out (guest-physical) by `guest_frames` to them all.
    std::unique_ptr<FrameAllocator> guest_frames;
    std::uint64_t guest_memory_start = 0, guest_memory_end = 0;
    // Nested: the parent's guest memory allocator.
    FrameAllocator* guest_memory = nullptr;
    std::unique_ptr<PageTable> table;
    std::unique_ptr<FlushQueue> fq;  // lazy unmap
    std::vector<std::pair<Bdf, std::uint32_t>> attached;
    std::vector<IoasId> children;  // nested IOAS on this one
    std::vector<HwptId> hwpts;     // paging HWPTs holding these mappings
    HwptId auto_hwpt = 0;          // the automatic HWPT's ID while attached
    bool ever_attached = false;    // a cache may hold entries tagged with `did`
  };
  struct Hwpt {
    std::uint16_t did = 0;
    bool nest_parent = false;
    IoasId ioas = 0;                   // paging: whose mappings it holds
    std::unique_ptr<PageTable> table;  // paging
    HwptId parent = 0;                 // nested: the nest-parent HWPT
    VtdStage1 stage1;                  // nested
    // Nested: per attachment (requester ID, PASID), the IOVA ranges whose
    // table pointers the user changed and has not invalidated without the
    // leaf hint (user_table_changed's non_leaf).
    std::map<std::pair<std::uint16_t, std::uint32_t>, boost::icl::interval_set<std::uint64_t>>
        non_leaf_pending;
    std::vector<std::pair<Bdf, std::uint32_t>> attached;
    std::vector<HwptId> children;  // nested HWPTs on a nest parent
    ContextId owner = 0;
    bool dirty_tracking = false;  // IOMMU_HWPT_ALLOC_DIRTY_TRACKING (paging)
    bool ever_attached = false;
  };
  // What a PASID entry pointing at an IOAS or HWPT holds, and the list
  // of its attachments.
  struct Target {
    Status status;
    PasidSetup setup;
    std::vector<std::pair<Bdf, std::uint32_t>>* attached = nullptr;
  };
  Target target(IoasId id);
  AddressSpace* find(IoasId id);
  Hwpt* find_hwpt(HwptId id);

  // ioasid_objects.cpp: which context's objects a call finds, the
  // automatic HWPTs of attached IOASes, and what destruction frees.
  //
  // The IOAS or HWPT `id` names for a call of `ctx` (an automatic HWPT's
  // IOAS), or 0 if it names nothing `ctx` may use: objects of the
  // platform (owner 0) and of `ctx` itself.
  IoasId lookup(ContextId ctx, IoasId id) const;
  static bool visible(ContextId ctx, ContextId owner) { return owner == 0 || owner == ctx; }
  // The HWPT an attachment to `target` uses: the automatic one of an IOAS.
  HwptId pt_of(IoasId target) const;
  // EINVAL when a domain with dirty tracking (or a nested one on such a
  // parent) would be attached to a PASID other than RID_PASID.
  Status check_dirty_tracking_pasid(IoasId target, std::uint32_t pasid) const;
  // The IOAS's automatic HWPT: given an ID with its first attachment,
  // gone with its last.
  void update_auto_hwpt(IoasId target);
  // Before a destroyed domain's ID is reused: if a device ever used it, a
  // domain-selective IOTLB invalidation (IOTLB and paging-structure
  // caches of the domain) and its wait.
  Status flush_domain(std::uint16_t did, bool ever_attached);
  // close_context's destruction of what the context owns.
  Status destroy_owned(ContextId ctx);
  // alloc_hwpt by what pt_id names (ioasid_hwpt.cpp).
  IoasCreated alloc_paging_hwpt(ContextId ctx, IoasId ioas, const HwptAlloc& args);
  IoasCreated alloc_nested_on(ContextId ctx, HwptId parent, const HwptAlloc& args);
  // Every table an IOAS's mappings are written to: its own, then its
  // paging HWPTs'.
  std::vector<PageTable*> tables_of(AddressSpace& as);

  // ioasid_invalidate.cpp: what a change to an IOAS's mappings needs
  // invalidated, and the oracle told.
  //
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
  // The invalidations of [iova, +length) in every domain that holds the
  // IOAS's mappings, one batch and one wait per submission: the devices
  // using its tables directly (Linux cache_tag_flush_range with
  // qi_batch), then each nested domain on them whole (its entries are
  // tagged with guest IOVAs). Collected before any is submitted: a wait
  // lets other host threads (the flush timer) change the lists.
  // `leaf_only` sets IH: the paging-structure caches are kept.
  std::vector<InvalidationBatch> flush_batches(const AddressSpace& as, std::uint64_t iova,
                                               std::uint64_t length, bool leaf_only) const;
  void add_nested_flush(InvalidationBatch& batch,
                        const std::vector<std::pair<Bdf, std::uint32_t>>& attached,
                        std::uint16_t did) const;
  Status submit(const std::vector<InvalidationBatch>& batches);
  Status flush(const AddressSpace& as, std::uint64_t iova, std::uint64_t length,
               bool leaf_only = false) {
    return submit(flush_batches(as, iova, length, leaf_only));
  }

  // Entries written and table pages allocated in an IOAS's tables, to
  // charge the CPU for an update: pte_write_ns and table_alloc_ns each.
  struct TableWork {
    std::uint64_t entries = 0, tables = 0;
  };
  TableWork table_work(AddressSpace& as);
  void charge(AddressSpace& as, CpuWork work, const TableWork& before);
  void write_area(AddressSpace& as, std::uint64_t iova, const IovaMap::Area& area);
  Status check_options(const IoasOptions& o) const;
  static std::uint64_t iova_limit(const IoasOptions& o);
  // ENOENT naming the ID, as iommufd_get_ioas() answers an ID nothing has.
  static Status no_ioas(IoasId id);
  // ENOSPC naming what the ID was for, when every domain ID is taken.
  Status no_domain_id(const std::string& what) const;
  // ENOENT for FAULT_ID_VALID: the model has no FAULT objects.
  static Status no_fault_object();
  // Lazy unmap: the IOAS's per-CPU queues, whose flush invalidates every
  // domain holding its mappings.
  std::unique_ptr<FlushQueue> make_flush_queue(AddressSpace& as);
  // Strict or lazy completion of an unmap whose tables are cleared.
  Status finish_unmap(AddressSpace& as, const IovaMap::Span& span,
                      const std::vector<Affected>& users, std::vector<std::uint64_t> freed);

  // ioasid_binding.cpp: points (bdf, pasid) at the IOAS's or HWPT's table.
  Status attach(Bdf bdf, std::uint32_t pasid, IoasId id);
  Status detach(Bdf bdf, std::uint32_t pasid, IoasId id);

  HostBus& bus_;
  IommuDriver& driver_;
  FrameAllocator& tables_;
  FrameAllocator& data_;
  HostCpus& cpus_;
  const HostParams& params_;
  DeviceOwnership owners_;
  std::map<IoasId, std::unique_ptr<AddressSpace>> spaces_;
  std::map<HwptId, std::unique_ptr<Hwpt>> hwpts_;
  std::map<HwptId, IoasId> auto_hwpts_;  // automatic HWPT -> its IOAS
  // Every (RID, PASID) some IOAS or HWPT holds: attach()'s EBUSY check in
  // one lookup, not a scan of every object (quadratic over thousands of
  // PASIDs, issue 17). Kept in step with the objects' `attached` lists.
  std::set<std::pair<std::uint16_t, std::uint32_t>> attached_pasids_;
  bool lazy_;
  bool invalidate_before_clear_;  // host.bug
  bool free_tables_early_;        // host.bug
  bool reuse_before_flush_;       // host.bug
  ChangeListener* listener_ = nullptr;
  HostLock lock_;
  FlushQueueStats fq_stats_;
  ProcessPool fq_timers_{"fq_timer"};  // the flush queues' timers
  // Queues of destroyed IOASes, kept for a timer that may still be armed.
  std::vector<std::unique_ptr<FlushQueue>> closed_queues_;
  IoasId next_id_ = 1;
  // Sized by CAP.ND, which the driver reads at init, after the manager is
  // built: so on first use (a size read at construction saw CAP = 0, and
  // every platform had 15 domain IDs whatever iommu.domain_id_bits said).
  DomainIds& dids() const;
  mutable std::optional<DomainIds> dids_;
};

}  // namespace iommu_sim
