#pragma once

#include <cstdint>

#include "model/param.h"

namespace iommu_sim {

struct HostParams {
  std::uint64_t table_region = 0x100000000ull;
  std::uint64_t data_region = 0x200000000ull;
  double poll_interval_ns = 100.0;
  std::uint32_t pasid_dir_size_bits = 7;

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
  }
};

}  // namespace iommu_sim
