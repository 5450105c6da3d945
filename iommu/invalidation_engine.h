// Queued invalidation (VT-d spec 6.5.2): software writes descriptors into a
// ring in memory (IQA: base, size, descriptor width) and moves the tail
// (IQT); the engine fetches descriptors at the head (IQH) by memory reads
// and executes them in order. An invalid descriptor sets FSTS.IQE and stops
// the queue with IQH pointing at it (VT-d spec 6.5.2.10); so does a tail (or
// a head) beyond the queue or, with 256-bit descriptors, not on a descriptor.
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>

#include "iommu/dma_drain.h"
#include "iommu/fault_log.h"
#include "iommu/formats/vtd_invalidation.h"
#include "iommu/table_port.h"
#include "iommu/translator.h"
#include "model/pcie_attrs.h"
#include "model/process_pool.h"
#include "model/stats.h"
#include "model/timing_mode.h"

namespace iommu_sim {

// CAP.MAMV: the largest address mask (AM) a page-selective IOTLB or
// PASID-based IOTLB invalidation may carry, 2^18 pages (1 GiB). VT-d spec
// 6.5.2.3 leaves a larger one undefined; this model refuses the descriptor
// as invalid (FSTS.IQE), as QEMU's vtd_process_iotlb_desc does.
inline constexpr std::uint8_t kMaxAddressMask = 18;

class InvalidationEngine {
 public:
  // `drain` says when the DMAs translated so far finish; `drains` false
  // models the hardware bug of completing invalidations without waiting.
  InvalidationEngine(Translator& translator, TablePort& port, FaultLog& faults,
                     const DmaDrain& drain, bool drains, TimingMode mode,
                     sc_core::sc_time descriptor_latency, StatsRegistry& stats,
                     const std::string& prefix);

  // Register interface.
  void set_queue_address(std::uint64_t iqa) { iqa_ = iqa; }
  std::uint64_t queue_address() const { return iqa_; }
  void set_tail(std::uint64_t iqt);
  std::uint64_t tail() const { return tail_; }
  std::uint64_t head() const { return head_; }
  void enable(bool on);
  // Fetches from IQH again: software cleared FSTS.IQE or ITE, so a stopped
  // queue may go on, or enabled the queue with descriptors posted.
  void resume();
  bool enabled() const { return enabled_; }
  std::uint32_t ics() const { return ics_; }
  void write_ics(std::uint32_t value) { ics_ &= ~(value & 1u); }  // ICS.IWC (bit 0) is RW1C

  // The engine thread body (Timed mode); spawned by the IOMMU.
  void run();

  // Sends an ATS Invalidate Request to the device `sid` and waits for its
  // completion; false when none came within the time-out.
  using DeviceTlbInvalidator =
      std::function<bool(std::uint16_t sid, const AtsInvalidation& inv, sc_core::sc_time& delay)>;
  void set_device_tlb_invalidator(DeviceTlbInvalidator f) { device_tlb_ = std::move(f); }

 private:
  std::uint64_t descriptor_bytes() const { return (iqa_ >> 11) & 1 ? 32 : 16; }
  std::uint64_t queue_bytes() const { return 4096ull << (iqa_ & 7); }
  // Fetches and executes descriptors until head == tail or an error.
  void drain(sc_core::sc_time& delay);
  // TimedOut: a device-TLB invalidation timed out (Functional mode, where
  // it is awaited at once). Halted: a wait found that one had (Timed
  // mode); it stays at IQH, unexecuted, until software clears FSTS.ITE.
  enum class Outcome : std::uint8_t { Done, Invalid, TimedOut, Halted };
  // `fetched`: when its fetch began, where its slice on a timeline starts
  // (set only when qi is traced). A parameter, not a member: a member
  // grows the Iommu and moves the fields after it, which every DMA
  // touches; that alone made Timed all-hit runs about 5 % slower.
  Outcome execute(std::uint64_t qw0, std::uint64_t qw1, const sc_core::sc_time& fetched,
                  sc_core::sc_time& delay);
  Outcome process_context_cache(const iommu::vtd::ContextCacheInvDesc& d);
  Outcome process_pasid_cache(const iommu::vtd::PasidCacheInvDesc& d);
  Outcome process_iotlb(const iommu::vtd::IotlbInvDesc& d, sc_core::sc_time& delay);
  Outcome process_pasid_iotlb(const iommu::vtd::PasidIotlbInvDesc& d, sc_core::sc_time& delay);
  Outcome process_wait(const iommu::vtd::InvWaitDesc& d, sc_core::sc_time& delay);
  Outcome process_device_tlb(const iommu::vtd::DeviceTlbInvDesc& d, sc_core::sc_time& delay);
  Outcome process_pasid_device_tlb(const iommu::vtd::PasidDeviceTlbInvDesc& d,
                                   sc_core::sc_time& delay);
  // invalidation_trace.cpp: the descriptor decoded, and what came of it,
  // as a slice from its fetch to its completion; the counters of a
  // timeline: descriptors in the queue, and IOTLB entries after an IOTLB
  // invalidation.
  void trace_descriptor(std::uint64_t qw0, std::uint64_t qw1, Outcome outcome,
                        const sc_core::sc_time& fetched, const sc_core::sc_time& delay) const;
  void trace_queue_depth(const sc_core::sc_time& delay) const;
  void trace_iotlb_occupancy(unsigned type, const sc_core::sc_time& delay) const;
  // Holds the descriptor's completion until the DMAs translated before it
  // (reads, writes or both) have finished (VT-d spec 6.5.2.3 DR/DW).
  void hold_for_drain(bool reads, bool writes, sc_core::sc_time& delay);
  Outcome invalidate_device_tlb(std::uint16_t sid, const AtsInvalidation& inv,
                                sc_core::sc_time& delay);

  Translator& translator_;
  TablePort& port_;
  FaultLog& faults_;
  const DmaDrain& drain_;
  bool drains_;
  TimingMode mode_;
  sc_core::sc_time descriptor_latency_;
  std::uint64_t iqa_ = 0, head_ = 0, tail_ = 0;
  std::uint32_t ics_ = 0;
  bool enabled_ = false;
  sc_core::sc_event tail_written_;
  DeviceTlbInvalidator device_tlb_;
  // Timed mode: device-TLB invalidations sent and not yet answered. They
  // overlap with the descriptors after them; a wait descriptor completes
  // only once all have come back (VT-d spec 6.5.2.8).
  std::uint32_t device_tlb_outstanding_ = 0;
  sc_core::sc_event device_tlb_answered_;
  ProcessPool device_tlb_answers_{"device_tlb_answer"};
  std::uint64_t executed_ = 0, waits_ = 0, errors_ = 0, timeouts_ = 0;
  std::uint64_t by_type_[16] = {};
  Histogram drain_time_;
};

}  // namespace iommu_sim
