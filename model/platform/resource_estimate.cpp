#include "model/platform/resource_estimate.h"

#include <array>

#include "workloads/devices/device_model_params.h"

namespace iommu_sim {

void ResourceEstimate::add_memory(const std::string& field, double bytes) {
  host_bytes += bytes;
  if (bytes > largest_memory_bytes) {
    largest_memory_bytes = bytes;
    largest_memory = field;
  }
}

void ResourceEstimate::add_work(const std::string& field, double n) {
  dmas += n;
  if (n > largest_work_dmas) {
    largest_work_dmas = n;
    largest_work = field;
  }
}

double leaf_entries(std::uint64_t iova, std::uint64_t size, std::uint64_t max_page) {
  // Greedy largest-first is, region by region: small pages up to the first
  // boundary of the next size and from the last one, the next size between.
  constexpr std::array<std::uint64_t, 3> kPages{4096, 2ull << 20, 1ull << 30};
  __extension__ using Wide = unsigned __int128;  // iova + size may pass 2^64
  Wide lo = iova;
  Wide hi = lo + size;
  Wide leaves = 0;
  for (std::size_t i = 0; i < kPages.size(); ++i) {
    const std::uint64_t page = kPages[i];
    const bool largest = i + 1 == kPages.size() || kPages[i + 1] > max_page;
    const std::uint64_t next = largest ? 0 : kPages[i + 1];
    const Wide a = largest ? hi : (lo + next - 1) / next * next;
    const Wide b = largest ? hi : hi / next * next;
    if (a >= b) {
      leaves += (hi - lo) / page;
      break;
    }
    leaves += (a - lo) / page + (hi - b) / page;
    lo = a;
    hi = b;
  }
  return static_cast<double>(leaves);
}

ResourceEstimate estimate_resources(const PlatformConfig& c) {
  ResourceEstimate e;
  for (const auto& [name, cache] : c.iommu.caches()) {
    e.add_memory(name, kBytesPerCacheEntry * cache->sets * cache->ways);
  }
  for (std::size_t i = 0; i < c.pcie.endpoints.size(); ++i) {
    const auto& ep = c.pcie.endpoints[i];
    if (!ep.ats.enabled) continue;
    e.add_memory("pcie.endpoints[" + std::to_string(i) + "].ats.atc",
                 kBytesPerCacheEntry * ep.ats.atc.sets * ep.ats.atc.ways * ep.functions);
  }
  for (std::size_t a = 0; a < c.address_spaces.size(); ++a) {
    const auto& as = c.address_spaces[a];
    for (std::size_t m = 0; m < as.mappings.size(); ++m) {
      const auto& map = as.mappings[m];
      e.add_memory(
          "address_spaces[" + std::to_string(a) + "].mappings[" + std::to_string(m) + "].size",
          kBytesPerLeaf * leaf_entries(map.iova, map.size, as.page_size));
    }
  }
  // In doubles: counts may be as large as 10^18, times queues.
  for (std::size_t w = 0; w < c.workloads.size(); ++w) {
    e.add_work("workloads[" + std::to_string(w) + "].count",
               static_cast<double>(c.workloads[w].count));
  }
  for (std::size_t d = 0; d < c.devices.size(); ++d) {
    const auto& dev = c.devices[d];
    const double queues = dev.queues == 0 ? c.host.cpus : dev.queues;
    double n = static_cast<double>(dev.count);
    switch (parse_device_model_type(dev.type)) {
      case DeviceModelType::Nvme:
        n *= queues;
        break;
      case DeviceModelType::Nic:
        n *= queues * (dev.tx_gbps > 0 ? 2 : 1);
        break;
      case DeviceModelType::Accelerator:
        break;
    }
    e.add_work("devices[" + std::to_string(d) + "].count", n);
  }
  return e;
}

std::uint64_t expected_work(const PlatformConfig& c) {
  const double n = estimate_resources(c).dmas;
  return n >= 0x1p63 ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(n);
}

}  // namespace iommu_sim
