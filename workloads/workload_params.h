#pragma once

#include <cstdint>
#include <string>

#include "model/param.h"

namespace iommu_sim {

struct WorkloadParams {
  std::string name;
  std::string device;
  bool pasid_present = true;
  std::uint32_t pasid = 1;
  bool privileged = false;
  std::string pattern = "random";
  std::uint64_t base = 0x100000;
  std::uint64_t span = 1ull << 20;
  std::uint64_t count = 100000;
  std::uint32_t size = 64;
  double write_fraction = 0.0;
  std::uint32_t outstanding = 1;
  double start_ns = 0.0;
  double gap_ns = 0.0;

  template <class V>
  void visit(V& v) {
    v(name,
      {"name", "", "empty: named wl<index>",
       "Label of this generator in stats.json (workload.<name>.*)."},
      "the workload.<name>.* counter names");
    v(device,
      {"device", "", "required",
       "Name of the PCIe function (pcie.endpoints[].name) "
       "whose DMA engine issues the requests."},
      "pcie.<device>.requests");
    v(pasid_present,
      {"pasid_present", "", "scalable-mode DMA with PASID, as SVA/SIOV devices send",
       "Whether requests carry a PASID TLP prefix; without one the IOMMU uses "
       "the context entry's RID_PASID."},
      "iommu.pasid_cache.*, which PASID entry translates");
    v(pasid,
      {"pasid", "", "1: the first PASID Linux hands out (0 is RID_PASID)",
       "PASID sent with every request when pasid_present.", 0, (1u << 20) - 1},
      "iommu.pasid_cache.*, iommu.faults.reason.0x51/0x59 if not attached");
    v(privileged,
      {"privileged", "", "user-mode requests, as from a device used by a process",
       "PASID prefix Privileged Mode Requested bit; user requests fault on "
       "supervisor-only first-level pages."},
      "iommu.faults.reason.0x5d, 0x81");
    v(pattern,
      {"pattern",
       "",
       "random: the issue's default workload",
       "sequential walks the span in size steps and wraps; random picks a uniformly "
       "distributed size-aligned offset in the span for every request.",
       0,
       0,
       false,
       {"sequential", "random"}},
      "iommu.iotlb.hit_rate and every cache counter");
    v(base,
      {"base", "bytes (IOVA)", "0x100000: the default mapping's start",
       "First IOVA of the working set."},
      "iommu.faults.* outside the mappings");
    v(span,
      {"span", "bytes", "1 MiB: 256 pages of 4 KiB, four times a 64-entry IOTLB's reach",
       "Size of the working set.", 1, 1ull << 52},
      "iommu.iotlb.hit_rate and every cache counter");
    v(count,
      {"count", "requests", "100000: long enough for stable hit rates",
       "Number of DMAs this generator issues.", 0, 1ull << 40},
      "workload.<name>.issued, completed");
    v(size,
      {"size", "bytes", "64: one cache line, the common small-DMA size",
       "Bytes per DMA; also the address alignment. Must not cross a 4 KiB page.", 1, 4096, true},
      "memory.bytes_read, memory.bytes_written, workload.*.latency");
    v(write_fraction,
      {"write_fraction", "", "0: reads only", "Probability that a request is a write.", 0.0, 1.0},
      "memory.writes, memory.bytes_written");
    v(outstanding,
      {"outstanding", "requests", "1: one request at a time, latency-bound",
       "Requests in flight at once (one DMA-engine slot each).", 1, 1024},
      "memory.queue_delay, iommu.walk.engine_wait, iommu.walk.merged");
    v(start_ns, {"start_ns", "ns", "0", "Simulated time of the first request.", 0.0, 1e15},
      "simulated_time_ns");
    v(gap_ns,
      {"gap_ns", "ns", "0: back to back",
       "Idle time a slot waits after each completion before its next request.", 0.0, 1e12},
      "simulated_time_ns, memory.queue_delay");
  }
};

}  // namespace iommu_sim
