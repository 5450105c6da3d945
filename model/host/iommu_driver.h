// The host's VT-d driver: owns the root table, context tables, PASID
// directories and tables and the invalidation queue, all in simulated
// memory, and programs the IOMMU through its registers, in the order Linux's
// intel-iommu driver does (drivers/iommu/intel/iommu.c, pasid.c, dmar.c).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <systemc>
#include <vector>

#include "iommu/formats/vtd_fault.h"
#include "iommu/formats/vtd_pasid.h"
#include "model/host/frame_allocator.h"
#include "model/host/host_bus.h"
#include "model/host/host_cpu.h"
#include "model/host/host_params.h"
#include "model/host/invalidation_batch.h"
#include "model/host/spin_lock.h"
#include "model/host/status.h"
#include "model/pcie_attrs.h"

namespace iommu_sim {

// What a PASID-table entry should hold (VT-d spec 9.6).
struct PasidSetup {
  iommu::vtd::Pgtt pgtt = iommu::vtd::Pgtt::FirstLevel;
  std::uint16_t did = 0;
  std::uint64_t fl_root = 0;  // FLPTPTR (guest-physical when nested)
  unsigned fl_levels = 4;     // 4 or 5
  std::uint64_t sl_root = 0;  // SLPTPTR
  unsigned sl_levels = 4;     // 3, 4 or 5
  bool supervisor_requests = false;
  // The device has a device TLB (ATS): its context entry gets DTE, and
  // changes to the entry invalidate the device TLB too.
  bool device_tlb = false;
};

class IommuDriver {
 public:
  // Registers host.iq.* (the queue lock) in `stats`; driver code runs on
  // the CPU `cpus` says the calling thread is on.
  IommuDriver(HostBus& bus, FrameAllocator& tables, const HostParams& params, HostCpus& cpus,
              StatsRegistry& stats);

  // Reads CAP/ECAP, requires scalable mode, queued invalidation and
  // first-level translation, then sets the root table, enables the queue
  // and turns translation on.
  Status init();

  // Points (bdf, pasid) at a translation: fills the root, context,
  // directory and PASID entries on the way as needed; a PASID entry that
  // was present is flushed from the PASID cache and IOTLB afterwards.
  Status set_pasid_entry(Bdf bdf, std::uint32_t pasid, const PasidSetup& setup);

  // Returns (bdf, pasid) to blocking: clears the PASID entry's P bit,
  // flushes the PASID cache and IOTLB of its domain and waits, then clears
  // the entry. ENOENT if there was none.
  Status clear_pasid_entry(Bdf bdf, std::uint32_t pasid, bool device_tlb = false);

  // Invalidates [iova, iova+length) of `did` then waits for it; returns once
  // the wait's status write landed. First-level and nested translations use
  // a PASID-based IOTLB invalidation for `pasid`; second-level-only ones an
  // IOTLB invalidation of the domain (VT-d spec 6.5.2.3 / 6.5.2.4, as
  // Linux's qi_flush_piotlb / qi_flush_iotlb split them). `leaf_only`
  // sets the invalidation hint (IH): only leaf entries changed, so the
  // paging-structure caches may be kept.
  // With `device_tlb`, the device's ATC is invalidated too (a PASID-based
  // device-TLB descriptor, VT-d spec 6.5.2.6) before the wait.
  Status flush_range(std::uint16_t did, std::uint32_t pasid, std::uint64_t iova,
                     std::uint64_t length, bool second_level_only = false, bool leaf_only = false,
                     std::optional<Bdf> device_tlb = std::nullopt);
  // The descriptors flush_range posts, added to `batch` (submitted with
  // submit_and_wait(batch.descriptors())).
  void add_flush_range(InvalidationBatch& batch, std::uint16_t did, std::uint32_t pasid,
                       std::uint64_t iova, std::uint64_t length, bool second_level_only = false,
                       bool leaf_only = false, std::optional<Bdf> device_tlb = std::nullopt) const;
  // Invalidates the device TLB of `bdf` for [iova, iova+length) of `pasid`
  // and waits.
  Status flush_device_tlb(Bdf bdf, std::uint32_t pasid, std::uint64_t iova, std::uint64_t length);

  // Posts raw 128-bit descriptors followed by a wait descriptor and polls
  // the status word until the IOMMU wrote it (VT-d spec 6.5.2.8), on the
  // calling thread's CPU: writing the descriptors and the tail register
  // is inv_submit time, polling inv_wait, waiting for the queue lock
  // lock_wait.
  Status submit_and_wait(std::span<const std::array<std::uint64_t, 2>> descriptors);

  // Reads and clears every pending fault record, oldest first, then clears
  // FSTS.PFO, as Linux's dmar_fault() does (drivers/iommu/intel/dmar.c).
  std::vector<iommu::vtd::FaultRecord> drain_faults();

  std::uint64_t cap() const { return cap_; }
  std::uint64_t ecap() const { return ecap_; }
  std::uint64_t root_table() const { return root_table_; }
  std::uint64_t waits_completed() const { return waits_completed_; }

 private:
  std::uint64_t context_table(std::uint8_t bus, bool upper);
  std::uint64_t pasid_directory(Bdf bdf, bool device_tlb);
  // The PASID-based device-TLB descriptor for the smallest naturally
  // aligned region covering the range.
  std::array<std::uint64_t, 2> device_tlb_descriptor(Bdf bdf, std::uint32_t pasid,
                                                     std::uint64_t iova,
                                                     std::uint64_t length) const;
  std::uint64_t pasid_table(std::uint64_t dir, std::uint32_t pasid);
  void post(const std::array<std::uint64_t, 2>& d);
  struct Posted {
    Status status;
    std::uint64_t status_addr = 0;
    std::uint32_t token = 0;
  };
  // Under the queue lock: waits for room, posts the descriptors and a wait
  // descriptor writing `token` to its own status word, moves the tail.
  Posted post_locked(HostCpu& cpu, std::span<const std::array<std::uint64_t, 2>> descriptors);
  // qi_check_fault: a queue error (IQE, ITE) fails this submission.
  Status check_queue_errors(std::uint64_t status_addr, std::uint32_t token);
  Status flush_pasid(std::uint16_t did, std::uint32_t pasid, std::optional<Bdf> device_tlb);

  HostBus& bus_;
  FrameAllocator& tables_;
  HostParams params_;
  const HostCpuParams& costs_;
  HostCpus& cpus_;
  std::uint64_t cap_ = 0, ecap_ = 0;
  std::uint64_t root_table_ = 0;
  std::uint64_t queue_ = 0;
  std::uint64_t queue_bytes_ = 4096;
  std::uint64_t tail_ = 0;
  // Submissions in the queue, oldest first, and the bytes they fill.
  struct InQueue {
    std::uint64_t bytes = 0, status_addr = 0;
    std::uint32_t token = 0;
  };
  std::deque<InQueue> in_queue_;
  std::uint64_t used_ = 0;
  std::uint64_t status_addr_ = 0;
  std::uint32_t next_status_ = 1;
  std::uint64_t waits_completed_ = 0;
  // qi->q_lock: one CPU at a time posts or checks its status.
  LockStats queue_lock_stats_;
  SpinLock queue_lock_;
};

}  // namespace iommu_sim
