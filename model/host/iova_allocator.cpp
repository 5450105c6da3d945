#include "model/host/iova_allocator.h"

#include "model/host/ioas_format.h"

#include <algorithm>
#include <bit>

namespace iommu_sim {

namespace {

constexpr std::uint64_t kAnchor = ~0ull;
// The interrupt window, reserved in every DMA domain.
constexpr std::uint64_t kMsiFirstPfn = ioas_format::kMsiWindowStart >> 12,
                        kMsiLastPfn = (ioas_format::kMsiWindowEnd >> 12) - 1;

unsigned order_of(std::uint64_t size) {
  return std::bit_width(size - 1);
}

}  // namespace

void IovaStats::register_stats(StatsRegistry& stats) {
  stats.counter("host.iova.rcache_hits", &rcache_hits,
                "IOVA allocations served by a CPU's magazines (or a depot magazine)");
  stats.counter("host.iova.rcache_misses", &rcache_misses,
                "IOVA allocations that had to search the tree");
  stats.counter("host.iova.rcache_frees", &rcache_frees, "IOVA frees kept in a CPU's magazine");
  stats.counter("host.iova.tree_allocs", &tree_allocs, "ranges inserted into an IOVA tree");
  stats.counter("host.iova.tree_frees", &tree_frees, "ranges removed from an IOVA tree");
  stats.counter("host.iova.depot_pushes", &depot_pushes, "full magazines a CPU put in a depot");
  stats.counter("host.iova.depot_pops", &depot_pops, "full magazines a CPU took from a depot");
  stats.counter("host.iova.failures", &failures, "allocations that found no free range");
  tree_lock.register_stats("host.iova.tree", stats);
  depot_lock.register_stats("host.iova.depot", stats);
}

IovaAllocator::IovaAllocator(unsigned cpus, unsigned address_bits, const HostCpuParams& costs,
                             IovaStats& stats)
    : costs_(costs),
      stats_(stats),
      end_pfn_(1ull << (address_bits - kPageShift)),
      dma32_pfn_(1ull << (32 - kPageShift)),
      cached_(kAnchor),
      cached32_(kAnchor),
      tree_lock_(costs.lock_transfer_ns, stats.tree_lock) {
  tree_.emplace(kAnchor, kAnchor);
  tree_.emplace(kMsiFirstPfn, kMsiLastPfn);
  for (SizeClass& c : classes_) {
    c.cpus.resize(cpus);
    c.lock = std::make_unique<SpinLock>(costs.lock_transfer_ns, stats.depot_lock);
  }
}

std::uint64_t IovaAllocator::rounded(std::uint64_t pages) {
  // iommu_dma_alloc_iova: sizes the magazines hold are powers of two.
  return pages < (1u << (kCachedOrders - 1)) ? std::bit_ceil(pages) : pages;
}

std::uint64_t IovaAllocator::allocate(HostCpu& cpu, std::uint64_t pages) {
  HostCpu::Activity iova(cpu, CpuWork::Iova);
  const std::uint64_t size = rounded(pages);
  const unsigned order = order_of(size);
  for (const std::uint64_t limit : {std::min(dma32_pfn_, end_pfn_), end_pfn_}) {
    if (order < kCachedOrders) {
      if (const std::uint64_t pfn = rcache_get(cpu, order, limit - size)) {
        ++stats_.rcache_hits;
        return pfn << kPageShift;
      }
    }
    ++stats_.rcache_misses;
    std::uint64_t pfn = tree_allocate(cpu, size, limit);
    if (pfn == 0 && limit == end_pfn_) {
      flush_caches(cpu);
      pfn = tree_allocate(cpu, size, limit);
    }
    if (pfn != 0) return pfn << kPageShift;
  }
  ++stats_.failures;
  return 0;
}

void IovaAllocator::free(HostCpu& cpu, std::uint64_t iova, std::uint64_t pages) {
  HostCpu::Activity work(cpu, CpuWork::Iova);
  const std::uint64_t size = rounded(pages);
  const unsigned order = order_of(size);
  if (order < kCachedOrders && rcache_insert(cpu, order, iova >> kPageShift)) return;
  tree_free(cpu, iova >> kPageShift);
}

std::uint64_t IovaAllocator::rcache_get(HostCpu& cpu, unsigned order, std::uint64_t limit_pfn) {
  HostCpu::spend_ns(costs_.iova_rcache_ns);
  SizeClass& sc = classes_[order];
  CpuCache& c = sc.cpus[cpu.index()];
  if (c.loaded.empty() && !c.prev.empty()) std::swap(c.loaded, c.prev);
  if (c.loaded.empty()) {
    SpinLock::Guard depot(*sc.lock, cpu);
    HostCpu::spend_ns(costs_.iova_depot_ns);
    if (sc.depot.empty()) return 0;
    c.loaded = std::move(sc.depot.back());
    sc.depot.pop_back();
    ++stats_.depot_pops;
  }
  // iova_magazine_pop: the last range below the limit, swapped out.
  for (std::size_t i = c.loaded.size(); i-- > 0;) {
    if (c.loaded[i] > limit_pfn) continue;
    const std::uint64_t pfn = c.loaded[i];
    c.loaded[i] = c.loaded.back();
    c.loaded.pop_back();
    return pfn;
  }
  return 0;
}

bool IovaAllocator::rcache_insert(HostCpu& cpu, unsigned order, std::uint64_t pfn) {
  HostCpu::spend_ns(costs_.iova_rcache_ns);
  SizeClass& sc = classes_[order];
  CpuCache& c = sc.cpus[cpu.index()];
  if (c.loaded.size() == kMagazineSize && c.prev.size() < kMagazineSize) {
    std::swap(c.loaded, c.prev);
  }
  if (c.loaded.size() == kMagazineSize) {
    SpinLock::Guard depot(*sc.lock, cpu);
    HostCpu::spend_ns(costs_.iova_depot_ns);
    sc.depot.push_back(std::move(c.loaded));
    c.loaded = Magazine();
    ++stats_.depot_pushes;
  }
  c.loaded.push_back(pfn);
  ++stats_.rcache_frees;
  return true;
}

std::uint64_t IovaAllocator::tree_allocate(HostCpu& cpu, std::uint64_t size,
                                           std::uint64_t limit_pfn) {
  SpinLock::Guard guard(tree_lock_, cpu);
  HostCpu::spend_ns(costs_.iova_tree_ns);
  const std::uint64_t pfn = tree_search(size, limit_pfn);
  if (pfn != 0) ++stats_.tree_allocs;
  return pfn;
}

// __alloc_and_insert_iova_range: from the cached node down, the highest
// size-aligned gap below the limit; failing that, once more from the limit
// down to where the first search began.
std::uint64_t IovaAllocator::tree_search(std::uint64_t size, std::uint64_t limit_pfn) {
  const bool low32 = limit_pfn <= dma32_pfn_;
  std::uint64_t& cached = low32 ? cached32_ : cached_;
  auto curr = tree_.find(cached);
  const std::uint64_t retry_pfn = curr->second;
  std::uint64_t pfn = search_down(curr, limit_pfn, start_pfn_, size);
  if (pfn == 0 && retry_pfn != kAnchor && retry_pfn < limit_pfn) {
    pfn = search_down(tree_.lower_bound(limit_pfn), limit_pfn, retry_pfn + 1, size);
  }
  if (pfn == 0) return 0;
  tree_.emplace(pfn, pfn + size - 1);
  cached = pfn;
  return pfn;
}

std::uint64_t IovaAllocator::search_down(std::map<std::uint64_t, std::uint64_t>::iterator curr,
                                         std::uint64_t high, std::uint64_t low,
                                         std::uint64_t size) const {
  const std::uint64_t align_mask = ~0ull << std::bit_width(size - 1);
  for (;;) {
    high = std::min(high, curr->first);
    if (high < size) return 0;
    const std::uint64_t pfn = (high - size) & align_mask;
    if (pfn < low) return 0;
    if (curr == tree_.begin() || pfn > std::prev(curr)->second) return pfn;
    --curr;
  }
}

void IovaAllocator::tree_free(HostCpu& cpu, std::uint64_t pfn) {
  SpinLock::Guard guard(tree_lock_, cpu);
  HostCpu::spend_ns(costs_.iova_tree_ns);
  release_pfn(pfn);
}

// remove_iova with __cached_rbnode_delete_update: a cached node at or
// below the freed range moves up to the range's successor.
void IovaAllocator::release_pfn(std::uint64_t pfn) {
  const auto it = tree_.find(pfn);
  if (it == tree_.end() || it->first == kAnchor) return;
  const std::uint64_t next = std::next(it)->first;
  if (pfn == cached32_ || (it->second < dma32_pfn_ && pfn >= cached32_)) cached32_ = next;
  if (pfn >= cached_) cached_ = next;
  tree_.erase(it);
  ++stats_.tree_frees;
}

// free_cpu_cached_iovas and free_global_cached_iovas, for every CPU.
void IovaAllocator::flush_caches(HostCpu& cpu) {
  SpinLock::Guard guard(tree_lock_, cpu);
  auto release_all = [this](Magazine& m) {
    for (const std::uint64_t pfn : m) {
      HostCpu::spend_ns(costs_.iova_tree_ns);
      release_pfn(pfn);
    }
    m.clear();
  };
  for (SizeClass& sc : classes_) {
    for (CpuCache& c : sc.cpus) {
      release_all(c.loaded);
      release_all(c.prev);
    }
    for (Magazine& m : sc.depot) release_all(m);
    sc.depot.clear();
  }
}

}  // namespace iommu_sim
