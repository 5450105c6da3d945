// What a run will cost before it starts: host memory for what the config
// sets up, and the DMAs it will issue. A config can be valid field by field
// and still want more memory than the machine has (a fully associative
// device TLB of 2^20 entries on each of a thousand functions) or days of run
// time (a workload count of 10^12); the command line refuses the first and
// warns of the second (apps/resource_check.h) before anything runs.
#pragma once

#include <cstdint>
#include <string>

#include "model/platform/platform_config.h"

namespace iommu_sim {

// Host bytes per cache entry: set_associative_cache.h keeps the entry, its
// LRU links, its tag-bucket link and a free bit. BM_Resources_CacheEntry
// (bench/bench_resources.cpp) measures 84 bytes of resident set per entry
// of a 1 Mi-entry IOTLB; rounded up.
inline constexpr double kBytesPerCacheEntry = 88;
// Host bytes per leaf entry of a page table the set-up writes: 8 are the
// entry itself in simulated memory (VT-d 9.9), the rest sparse-memory
// bookkeeping and the upper levels. BM_Resources_MappingLeaf measures 8.1
// bytes per leaf of a 16 GiB mapping of 4 KiB pages; rounded up.
inline constexpr double kBytesPerLeaf = 9;

struct ResourceEstimate {
  double host_bytes = 0;       // caches and page tables the set-up builds
  std::string largest_memory;  // the config field that takes most of it
  double largest_memory_bytes = 0;
  // The work a run does, in the units StatsRegistry::work_done() counts:
  // every workload's and accelerator's DMAs, every NVMe I/O, every NIC
  // packet arriving or sent (a replay adds its trace's records).
  double dmas = 0;
  std::string largest_work;  // the field that issues most of them
  double largest_work_dmas = 0;

  void add_memory(const std::string& field, double bytes);
  void add_work(const std::string& field, double dmas);
};

// Leaf entries PageTable::map_range writes for [iova, iova + size): each the
// largest page, up to `max_page`, that the address's alignment and the
// length left allow.
double leaf_entries(std::uint64_t iova, std::uint64_t size, std::uint64_t max_page);

ResourceEstimate estimate_resources(const PlatformConfig& c);

// estimate_resources(c).dmas as a count, for the progress line; saturates
// at 2^63.
std::uint64_t expected_work(const PlatformConfig& c);

}  // namespace iommu_sim
