// Lazy unmap's flush queues for one DMA domain, as Linux's dma-iommu keeps
// them (drivers/iommu/dma-iommu.c: queue_iova, fq_flush_iotlb,
// fq_flush_timeout). Each CPU has a ring of `size` slots (one kept empty,
// as fq_full says, so size - 1 unmaps) behind its own lock. An unmap's
// IOVA and freed table pages wait in the ring, stamped with the number of
// flushes started so far; an entry is released (IOVA back to the
// allocator, table pages back to the frame pool) once a flush that started
// after it was queued has finished. A CPU that finds its ring full flushes
// the whole domain (one invalidation, one wait) and releases; a timer,
// armed by the first unmap after the last timeout and running on that
// unmap's CPU, flushes after `timeout` and releases every CPU's ring.
// The DMA API keeps one per DMA domain; the ioasid manager, in lazy unmap
// mode, one per IOAS.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <systemc>
#include <vector>

#include "model/host/cpu_params.h"
#include "model/host/host_cpu.h"
#include "model/host/spin_lock.h"
#include "model/host/status.h"
#include "model/process_pool.h"
#include "model/stats.h"

namespace iommu_sim {

// Counters shared by the queues of every domain of one owner (the DMA
// API's under host.fq.*, the manager's under host.ioas.fq.*).
struct FlushQueueStats {
  std::uint64_t queued = 0, flushes = 0, full_flushes = 0, timeout_flushes = 0, released = 0;
  LockStats lock;
  void register_stats(const std::string& prefix, StatsRegistry& stats);
};

class FlushQueue {
 public:
  struct Entry {
    std::uint64_t iova = 0, length = 0;
    std::vector<std::uint64_t> freed_tables;
    std::uint64_t counter = 0;  // flushes started when it was queued
    bool settled = false;       // a flush since covered it
  };
  struct Hooks {
    std::function<Status()> flush;                  // invalidate the domain and wait
    std::function<void(Entry&)> settle;             // its translation can no longer be used
    std::function<void(HostCpu&, Entry&)> release;  // give IOVA and frames back
  };

  // `timers` runs the timer threads; the owner shares it among its queues,
  // so closed queues keep no idle thread.
  FlushQueue(HostCpus& cpus, std::uint32_t size, double timeout_ns, const HostCpuParams& costs,
             FlushQueueStats& stats, ProcessPool& timers, Hooks hooks);

  // queue_iova: on the calling thread's CPU. The entry is queued even when
  // the flush of a full ring failed; the status says so.
  Status add(HostCpu& cpu, Entry entry);
  // The domain is going away with nothing attached (iommu_dma_free_fq):
  // every entry is released unflushed and the timer, if armed, does
  // nothing. No hook is called afterwards; the queue itself must outlive
  // an armed timer (it cannot be cancelled).
  void close(HostCpu& cpu);
  bool empty() const;

 private:
  struct Ring {
    std::vector<Entry> entries;  // oldest first
    std::unique_ptr<SpinLock> lock;
  };
  void release_flushed(HostCpu& cpu, Ring& ring);
  // `what` says why, for a timeline: "fq.flush_full" or "fq.flush_timeout".
  Status flush(HostCpu& cpu, std::string_view what);
  std::uint64_t queued() const;  // entries in every ring
  void arm_timer(HostCpu& cpu);

  HostCpus& cpus_;
  std::uint32_t capacity_;
  sc_core::sc_time timeout_;
  const HostCpuParams& costs_;
  FlushQueueStats& stats_;
  Hooks hooks_;
  std::vector<Ring> rings_;
  std::uint64_t started_ = 0, finished_ = 0;
  bool timer_on_ = false;
  bool closed_ = false;
  ProcessPool& timers_;
};

}  // namespace iommu_sim
