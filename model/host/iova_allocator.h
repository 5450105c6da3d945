// The IOVA allocator of one DMA domain, as Linux implements it
// (drivers/iommu/iova.c). Allocated ranges live in a tree searched top
// down from a cached position, under the domain's tree lock; in front of
// it, each CPU keeps two magazines of IOVA_MAG_SIZE = 127 freed ranges per
// size class (1 to 32 pages, powers of two), so most allocations and frees
// touch only the CPU's own magazines. A CPU whose magazines are both empty
// takes a full one from the depot (a list shared by the CPUs, under the
// class's depot lock); one whose magazines are both full puts one there.
// Ranges in magazines stay allocated in the tree, as in Linux. When the
// tree is full, every cached range goes back to it and the allocation is
// tried again (alloc_iova_fast with flush_rcache).
//
// Left out: the depot's trimming work (iova_depot_work_func, every
// 100 ms) and the tree's max32_alloc_size shortcut, which change no
// address handed out in the workloads modelled here.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "model/host/cpu_params.h"
#include "model/host/host_cpu.h"
#include "model/host/spin_lock.h"
#include "model/stats.h"

namespace iommu_sim {

// Counters shared by every domain's allocator (host.iova.*).
struct IovaStats {
  std::uint64_t rcache_hits = 0, rcache_misses = 0, rcache_frees = 0;
  std::uint64_t tree_allocs = 0, tree_frees = 0, depot_pushes = 0, depot_pops = 0;
  std::uint64_t failures = 0;
  LockStats tree_lock, depot_lock;
  void register_stats(StatsRegistry& stats);
};

class IovaAllocator {
 public:
  static constexpr unsigned kMagazineSize = 127;  // IOVA_MAG_SIZE
  static constexpr unsigned kCachedOrders = 6;    // IOVA_RANGE_CACHE_MAX_SIZE
  static constexpr unsigned kPageShift = 12;

  // Hands out page frame numbers in [start_pfn, 2^address_bits >> 12).
  IovaAllocator(unsigned cpus, unsigned address_bits, const HostCpuParams& costs, IovaStats& stats);

  // Allocates `pages` pages on `cpu` (iommu_dma_alloc_iova: a size below
  // 32 pages is rounded up to a power of two and aligned to it) and returns
  // the first IOVA, or 0 when the space is exhausted. Below 4 GiB first, as
  // Linux tries for PCI devices, then the whole space.
  std::uint64_t allocate(HostCpu& cpu, std::uint64_t pages);
  // Frees what allocate() returned for `pages` (free_iova_fast).
  void free(HostCpu& cpu, std::uint64_t iova, std::uint64_t pages);

  // Ranges allocated in the tree (cached ones included).
  std::size_t tree_size() const { return tree_.size() - 1; }

 private:
  using Magazine = std::vector<std::uint64_t>;
  struct CpuCache {
    Magazine loaded, prev;
  };
  struct SizeClass {
    std::vector<CpuCache> cpus;
    std::vector<Magazine> depot;  // full magazines, last pushed on top
    std::unique_ptr<SpinLock> lock;
  };
  static std::uint64_t rounded(std::uint64_t pages);
  std::uint64_t rcache_get(HostCpu& cpu, unsigned order, std::uint64_t limit_pfn);
  bool rcache_insert(HostCpu& cpu, unsigned order, std::uint64_t pfn);
  std::uint64_t tree_allocate(HostCpu& cpu, std::uint64_t size, std::uint64_t limit_pfn);
  std::uint64_t tree_search(std::uint64_t size, std::uint64_t limit_pfn);
  std::uint64_t search_down(std::map<std::uint64_t, std::uint64_t>::iterator curr,
                            std::uint64_t high, std::uint64_t low, std::uint64_t size) const;
  void tree_free(HostCpu& cpu, std::uint64_t pfn);
  void release_pfn(std::uint64_t pfn);
  void flush_caches(HostCpu& cpu);

  const HostCpuParams& costs_;
  IovaStats& stats_;
  std::uint64_t start_pfn_ = 1;
  std::uint64_t end_pfn_;    // exclusive
  std::uint64_t dma32_pfn_;  // 4 GiB >> 12
  // pfn_lo -> pfn_hi (inclusive); an anchor at ~0 sits above the space.
  std::map<std::uint64_t, std::uint64_t> tree_;
  std::uint64_t cached_, cached32_;  // pfn_lo of the cached nodes
  SpinLock tree_lock_;
  std::array<SizeClass, kCachedOrders> classes_;
};

}  // namespace iommu_sim
