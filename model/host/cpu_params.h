// What host driver code costs in CPU time: the steps of Linux's DMA API
// paths (drivers/iommu/dma-iommu.c: iommu_dma_map_page, __iommu_dma_unmap,
// queue_iova), its IOVA allocator (drivers/iommu/iova.c) and queued
// invalidation (drivers/iommu/intel/dmar.c: qi_submit_sync). Each cost is
// a parameter, so a user can set the numbers of their own machine; the
// times a driver waits (for a lock, for the IOMMU, for a register) are
// not parameters but come out of the simulation.
#pragma once

#include <cstdint>

#include "model/param.h"

namespace iommu_sim {

struct HostCpuParams {
  double map_call_ns = 50.0;
  double unmap_call_ns = 50.0;
  double iova_rcache_ns = 20.0;
  double iova_depot_ns = 40.0;
  double iova_tree_ns = 250.0;
  double pte_write_ns = 5.0;
  double table_alloc_ns = 400.0;
  double descriptor_write_ns = 5.0;
  double lock_transfer_ns = 60.0;
  double fq_add_ns = 15.0;
  double interrupt_ns = 700.0;
  double mmio_write_ns = 100.0;

  template <class V>
  void visit(V& v) {
    v(map_call_ns,
      {"map_call_ns", "ns",
       "assumed: the bookkeeping of dma_map_page around its IOVA allocation and iommu_map "
       "(a few hundred instructions at ~3 GHz)",
       "Fixed CPU time of one dma_map_page besides IOVA allocation and PTE writes.", 0.0, 1e9},
      "host.cpu.<n>.map_ns");
    v(unmap_call_ns,
      {"unmap_call_ns", "ns",
       "assumed: as map_call_ns, for __iommu_dma_unmap (finding the mapping, the gather)",
       "Fixed CPU time of one dma_unmap_page besides PTE clears, invalidation and IOVA free.", 0.0,
       1e9},
      "host.cpu.<n>.unmap_ns");
    v(iova_rcache_ns,
      {"iova_rcache_ns", "ns",
       "assumed: a per-CPU spin lock and one array push or pop (Linux iova.c "
       "__iova_rcache_get / __iova_rcache_insert)",
       "CPU time of an IOVA allocation or free served by the CPU's magazines.", 0.0, 1e9},
      "host.cpu.<n>.iova_ns");
    v(iova_depot_ns,
      {"iova_depot_ns", "ns",
       "assumed: a shared spin lock and a list push or pop (iova_depot_pop / iova_depot_push)",
       "CPU time of exchanging a magazine with the depot, held under the size class's depot "
       "lock.",
       0.0, 1e9},
      "host.cpu.<n>.iova_ns, host.iova.depot_lock_wait");
    v(iova_tree_ns,
      {"iova_tree_ns", "ns",
       "assumed: a red-black tree search and rebalance with a cache miss or two per level; "
       "Peleg et al. (USENIX ATC 2015) found this globally locked allocation to be the main "
       "map cost of strict Linux before the magazines",
       "CPU time of one allocation or free in the IOVA tree, held under the domain's tree "
       "lock (iova_rbtree_lock).",
       0.0, 1e9},
      "host.cpu.<n>.iova_ns, host.iova.tree_lock_wait");
    v(pte_write_ns,
      {"pte_write_ns", "ns",
       "assumed: one cached 8-byte store; no cache flush, as the IOMMU snoops (ECAP.C)",
       "CPU time per page-table entry the driver writes or clears.", 0.0, 1e9},
      "host.cpu.<n>.map_ns, unmap_ns");
    v(table_alloc_ns,
      {"table_alloc_ns", "ns",
       "assumed: a page allocation and zeroing 4 KiB (iommu_alloc_page_node)",
       "CPU time per page-table page the driver allocates while mapping.", 0.0, 1e9},
      "host.cpu.<n>.map_ns");
    v(descriptor_write_ns,
      {"descriptor_write_ns", "ns",
       "assumed: two cached 16-byte stores into the queue (qi_submit_sync's memcpy)",
       "CPU time per invalidation descriptor (wait descriptors included) written into the "
       "queue, under the queue lock; the tail register write then costs "
       "iommu.register_latency_ns.",
       0.0, 1e9},
      "host.cpu.<n>.inv_submit_ns, host.iq.lock_wait");
    v(lock_transfer_ns,
      {"lock_transfer_ns", "ns",
       "assumed: a cache-line transfer between cores of one socket (tens of ns on Xeons)",
       "CPU time a spin lock's acquisition costs when another CPU held it last: its cache "
       "line moves. Acquiring a lock this CPU held last costs nothing.",
       0.0, 1e9},
      "host.iq.lock_wait, host.cpu.<n>.lock_wait_ns");
    v(fq_add_ns,
      {"fq_add_ns", "ns", "assumed: a per-CPU spin lock and a ring store (queue_iova)",
       "CPU time of adding one unmap to a lazy flush queue.", 0.0, 1e9},
      "host.cpu.<n>.unmap_ns");
    v(interrupt_ns,
      {"interrupt_ns", "ns",
       "assumed: entry, handler dispatch and exit of one MSI-X interrupt, about 2,000 cycles",
       "CPU time of taking one device interrupt, before the driver's completion work.", 0.0, 1e9},
      "host.cpu.<n>.interrupt_ns");
    v(mmio_write_ns,
      {"mmio_write_ns", "ns",
       "assumed: an uncached store to a device register, which must leave the core before "
       "the next one (about 100 ns)",
       "CPU time of a driver's doorbell write (a posted MMIO write).", 0.0, 1e9},
      "host.cpu.<n>.driver_ns");
  }
};

}  // namespace iommu_sim
