// Linux's DMA API for kernel-owned devices (the device models' drivers),
// in the mode host.dma_api names: identity (the group's default domain is
// pass-through, dma-direct hands out physical addresses), strict or lazy
// (an IOMMU DMA domain per IOMMU group, drivers/iommu/dma-iommu.c). A DMA
// domain has a first-level 4-level table with its own domain ID, attached
// as RID_PASID (PASID 0: the devices send requests without PASID), an IOVA
// allocator with per-CPU magazines, and, in lazy mode, per-CPU flush
// queues. Every step runs on the calling thread's CPU and costs the time
// host.cpu.* gives it; waits for locks and for the IOMMU come from the
// simulation.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/host/change_listener.h"
#include "model/host/flush_queue.h"
#include "model/host/frame_allocator.h"
#include "model/host/host_bus.h"
#include "model/host/host_cpu.h"
#include "model/host/host_params.h"
#include "model/host/iommu_driver.h"
#include "model/host/iova_allocator.h"
#include "model/host/page_table.h"
#include "model/host/status.h"
#include "model/pcie_attrs.h"
#include "model/stats.h"

namespace iommu_sim {

enum class DmaApiMode : std::uint8_t { Identity, Strict, Lazy };
DmaApiMode parse_dma_api_mode(std::string_view mode);

// A device the DMA API serves: its requester ID, IOMMU group and whether
// it has a device TLB (ATS) to invalidate.
struct DmaDevice {
  std::string name;
  Bdf requester_id;
  int group = 0;
  bool ats = false;
};

class DmaApi {
 public:
  DmaApi(HostBus& bus, IommuDriver& driver, FrameAllocator& tables, HostCpus& cpus,
         const HostParams& params, std::function<std::optional<std::uint16_t>()> allocate_did,
         StatsRegistry& stats);
  ~DmaApi();

  DmaApiMode mode() const { return mode_; }
  void set_change_listener(ChangeListener* listener) { listener_ = listener; }

  // Gives the device its group's default domain (made for the first
  // device of the group) and points its RID_PASID entry at it. Returns the
  // handle map() and unmap() take.
  struct Attached {
    Status status;
    int handle = -1;
  };
  Attached attach(const DmaDevice& device);

  // dma_map_page / dma_map_single of [physical, +length): the address the
  // device is to use, mapped with the largest leaves alignment allows (a
  // 2 MiB-aligned buffer of 2 MiB or more gets 2 MiB pages: the IOVA of a
  // range that large is aligned to its size). ENOMEM when the IOVA space
  // is exhausted.
  struct Mapped {
    Status status;
    std::uint64_t address = 0;
  };
  Mapped map(int handle, std::uint64_t physical, std::uint64_t length, bool writable);
  // dma_unmap_page of what map() returned, with the same length. Strict:
  // returns after the invalidation's wait; lazy: after queueing it.
  // EINVAL: not a mapping map() made.
  Status unmap(int handle, std::uint64_t address, std::uint64_t length);

  std::uint64_t maps() const { return maps_; }
  std::uint64_t unmaps() const { return unmaps_; }

 private:
  struct Domain;
  struct Device {
    DmaDevice info;
    Domain* domain = nullptr;
  };
  // Null when no domain ID is left.
  std::unique_ptr<Domain> make_domain();
  Status attach_domain(Domain& d, const DmaDevice& device);
  void write_leaves(Domain& d, std::uint64_t iova, std::uint64_t physical, std::uint64_t pages,
                    bool writable);
  Status flush_domain(Domain& d);
  void notify(Domain& d, std::uint64_t lo, std::uint64_t hi, int what);

  HostBus& bus_;
  IommuDriver& driver_;
  FrameAllocator& tables_;
  HostCpus& cpus_;
  const HostParams& params_;
  DmaApiMode mode_;
  std::function<std::optional<std::uint16_t>()> allocate_did_;
  ChangeListener* listener_ = nullptr;
  std::map<int, std::unique_ptr<Domain>> domains_;  // by IOMMU group
  std::vector<Device> devices_;
  IovaStats iova_stats_;
  FlushQueueStats fq_stats_;
  ProcessPool fq_timers_{"fq_timer"};  // the flush queues' timers
  std::uint8_t max_leaf_shift_ = 21;
  std::uint64_t maps_ = 0, unmaps_ = 0, map_failures_ = 0;
  Histogram map_time_, unmap_time_;
};

}  // namespace iommu_sim
