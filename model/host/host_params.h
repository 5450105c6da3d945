#pragma once

#include <cstdint>
#include <string>

#include "model/host/cpu_params.h"
#include "model/param.h"

namespace iommu_sim {

struct HostParams {
  std::uint64_t table_region = 0x100000000ull;
  std::uint64_t data_region = 0x200000000ull;
  double poll_interval_ns = 100.0;
  std::uint32_t pasid_dir_size_bits = 7;
  std::string unmap = "strict";
  std::uint32_t flush_queue_size = 256;
  std::string bug = "none";
  double flush_timeout_ns = 10e6;
  std::string dma_remapping = "on";
  std::uint32_t cpus = 1;
  std::string dma_api = "strict";
  HostCpuParams cpu;

  template <class V>
  void visit(V& v) {
    v(table_region,
      {"table_region", "bytes (physical address)",
       "4 GiB: above low memory and the 0xFEE00000 MSI window",
       "Where the driver allocates root, context, PASID tables, page tables and "
       "the invalidation queue; grows upward one 4 KiB frame at a time. 1 GiB "
       "from here must lie below 2^memory.address_bits and outside the data "
       "region."},
      "none: where tables live");
    v(data_region,
      {"data_region", "bytes (physical address)", "8 GiB",
       "Where the manager allocates the memory behind IOAS mappings; the sum of "
       "all mapping sizes from here must lie below 2^memory.address_bits."},
      "none: where mapped memory lives");
    v(poll_interval_ns,
      {"poll_interval_ns", "ns",
       "assumed: a driver spinning on the status word re-reads it about every "
       "100 ns (Linux qi_submit_sync spins with cpu_relax)",
       "Interval at which the driver re-reads an invalidation-wait status word.", 1.0, 1e9},
      "simulated time of strict unmaps");
    v(pasid_dir_size_bits,
      {"pasid_dir_size_bits", "PDTS",
       "7: 2^14 directory entries, the full 20-bit PASID space (Linux "
       "allocates for the PASIDs it needs)",
       "Context-entry PDTS: the PASID directory has 2^(PDTS+7) entries.", 0, 7},
      "iommu.faults.reason.0x46 beyond it");
    v(unmap,
      {"unmap",
       "",
       "strict: what iommufd does, and Linux's DMA API with iommu.strict=1",
       "strict: unmap returns after the IOTLB invalidation and its wait; lazy: unmap clears "
       "the page table and queues the invalidation in the calling CPU's flush queue of the "
       "IOAS (Linux's flush queues, iommu.strict=0); a full ring or flush_timeout_ns after "
       "the first unmap flushes the IOAS's domains with one invalidation each, and the "
       "unmapped IOVAs stay unusable until the ring releases them.",
       0,
       0,
       false,
       {"strict", "lazy"}},
      "invalidation waits per unmap (driver), how long a stale translation stays usable");
    v(flush_queue_size,
      {"flush_queue_size", "unmaps", "256: Linux IOVA_DEFAULT_FQ_SIZE (dma-iommu.c)",
       "Lazy unmap: slots of each CPU's flush-queue ring, one kept empty, for the manager's "
       "IOASes and the DMA API's domains alike: a CPU that finds its ring full flushes.",
       2, 1 << 20},
      "invalidation waits per unmap (lazy)");
    v(flush_timeout_ns,
      {"flush_timeout_ns", "ns", "10 ms: Linux IOVA_FQ_TIMEOUT",
       "Lazy unmap: longest time an unmap waits in the queue.", 1.0, 1e12},
      "how long a stale translation stays usable (lazy)");
    v(bug,
      {"bug",
       "",
       "none: the driver as Linux writes it",
       "A driver bug to model, for the bug library (configs/bugs/): "
       "no_wait_after_invalidation (invalidations are posted, never waited for), "
       "invalidation_before_clear (unmap invalidates, then clears the PTEs), "
       "mask_too_small (the address mask covers half the unmapped range), "
       "no_pasid_cache_invalidation (a changed or cleared PASID entry is not flushed from "
       "the PASID cache), lazy_reuse_before_flush (lazily unmapped IOVAs are mapped again "
       "before the flush), table_freed_before_flush (page-table pages an unmap frees are "
       "reused at once and the invalidation keeps the paging-structure caches, IH=1), "
       "no_device_tlb_invalidation (devices with ATS keep their translations).",
       0,
       0,
       false,
       {"none", "no_wait_after_invalidation", "invalidation_before_clear", "mask_too_small",
        "no_pasid_cache_invalidation", "lazy_reuse_before_flush", "table_freed_before_flush",
        "no_device_tlb_invalidation"}},
      "oracle.violations.stale_translation");
    v(dma_remapping,
      {"dma_remapping",
       "",
       "on: Linux with the IOMMU in use (intel_iommu=on, or CONFIG_INTEL_IOMMU_DEFAULT_ON)",
       "off: Linux booted with intel_iommu=off. The driver never enables translation, so "
       "GSTS.TES stays 0 and the IOMMU forwards every DMA untranslated, at the address the "
       "device sends (VT-d spec 10.4.5; iommu.untranslated); address_spaces and attach are "
       "not programmed.",
       0,
       0,
       false,
       {"on", "off"}},
      "iommu.untranslated, iommu.iotlb.*, every walk counter");
    v(cpus,
      {"cpus", "CPUs",
       "1: the scenario's host steps need one; device models get a queue per CPU, so studies "
       "of queues raise it (a Xeon E5-2630 v4 has 10 cores)",
       "Host CPUs that run driver code. Each device model's queue has a CPU "
       "(devices[].queues, one per CPU by default); scenario steps run on CPU 0. At most 24: "
       "each CPU has one invalidation submission (up to 4 descriptors with its wait) in flight, "
       "and the 128-slot invalidation queue must hold them all.",
       1, 24},
      "host.cpu.<n>.*");
    v(dma_api,
      {"dma_api",
       "",
       "strict: Linux's iommu.strict=1, the default of distributions that favour safety "
       "(and of iommufd-owned devices)",
       "Linux's DMA API mode for kernel-owned devices (the device models): identity, a "
       "pass-through PASID entry (iommu.passthrough=1), so DMA is never translated; strict, "
       "each dma_unmap_page invalidates and waits; lazy, unmaps wait in per-CPU flush "
       "queues of flush_queue_size, flushed by one invalidation of the domain when a CPU's "
       "queue is full or flush_timeout_ns after the first (iommu.strict=0).",
       0,
       0,
       false,
       {"identity", "strict", "lazy"}},
      "host.cpu.<n>.*, host.fq.*, oracle.lazy_window_uses, iommu.iotlb.*");
    v.group("cpu", cpu, "CPU time of driver code, per step of Linux's DMA API paths");
  }
};

}  // namespace iommu_sim
