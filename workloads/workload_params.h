#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/param.h"

namespace iommu_sim {

// How many DMAs the generator keeps in flight (docs/workloads.md).
enum class DmaEngineMode : std::uint8_t {
  Slots,      // `outstanding` slots
  Latency,    // one DMA at a time, as pcie-bench's latency tests
  Bandwidth,  // one slot per tag of the function, as pcie-bench's bandwidth tests
};

inline DmaEngineMode parse_dma_engine_mode(std::string_view mode) {
  if (mode == "latency") return DmaEngineMode::Latency;
  if (mode == "bandwidth") return DmaEngineMode::Bandwidth;
  return DmaEngineMode::Slots;
}

constexpr std::uint64_t kDmaPageBytes = 4096;

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
  std::string mode = "slots";
  std::uint32_t offset = 0;
  std::string host_cache = "cold";

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
       "Bytes per DMA; also the address alignment (plus offset). Must not cross a 4 KiB page.", 1,
       4096, true},
      "memory.bytes_read, memory.bytes_written, workload.*.latency");
    v(write_fraction,
      {"write_fraction", "", "0: reads only", "Probability that a request is a write.", 0.0, 1.0},
      "memory.writes, memory.bytes_written");
    v(outstanding,
      {"outstanding", "requests", "1: one request at a time, latency-bound",
       "Requests in flight at once (one DMA-engine slot each) in mode slots; the other modes "
       "decide it themselves and refuse any value but 1.",
       1, 1024},
      "memory.queue_delay, iommu.walk.engine_wait, iommu.walk.merged");
    v(start_ns, {"start_ns", "ns", "0", "Simulated time of the first request.", 0.0, 1e15},
      "simulated_time_ns");
    v(gap_ns,
      {"gap_ns", "ns", "0: back to back",
       "Idle time a slot waits after each completion before its next request.", 0.0, 1e12},
      "simulated_time_ns, memory.queue_delay");
    v(mode,
      {"mode",
       "",
       "slots: the generator as it was before modes existed",
       "How many DMAs the engine keeps in flight: slots, `outstanding` of them; latency, one "
       "at a time (pcie-bench's latency tests, Neugebauer et al., SIGCOMM 2018); bandwidth, "
       "one per tag of the function (pcie.endpoints[].tags), so that the tags, not the "
       "engine, limit the reads in flight (pcie-bench's bandwidth tests).",
       0,
       0,
       false,
       {"slots", "latency", "bandwidth"}},
      "workload.<name>.throughput_gbps, dma_rate_mps, latency");
    v(offset,
      {"offset", "bytes", "0: DMAs start at the page (or size) boundary",
       "pcie-bench's host offset: added to every DMA address. The window is cut into 4 KiB "
       "pages from base; each page holds floor((4096 - offset) / size) DMA slots at page + "
       "offset + k x size, so no DMA crosses a page (PCIe Base spec 2.2.7). offset + size "
       "must not exceed 4096, and base must be 4 KiB aligned when offset is not 0.",
       0, 4095},
      "memory.queue_delay (channel shares), iommu.iotlb.hit_rate");
    v(host_cache,
      {"host_cache",
       "",
       "cold: DMA data comes from DRAM, the pessimistic case",
       "State of the buffer in the host's last-level cache when the DMAs start: cold, in "
       "DRAM; warm, the host CPU has just touched it, so the physical pages behind the last "
       "min(span, memory.llc_bytes) bytes of the window are LLC-resident and DMAs to them "
       "are served in memory.llc_latency_ns without a DRAM channel (pcie-bench's warm and "
       "cold cache tests).",
       0,
       0,
       false,
       {"cold", "warm"}},
      "memory.llc_hits, workload.<name>.latency, throughput_gbps");
  }
};

// DMA slots per 4 KiB page: floor((4096 - offset) / size).
inline std::uint64_t dma_slots_per_page(const WorkloadParams& w) {
  if (w.size == 0 || w.offset + w.size > kDmaPageBytes) return 0;
  return (kDmaPageBytes - w.offset) / w.size;
}

// DMA slots in the window [base, base + span): every whole page's, plus
// those of the last, partial page that end inside the window. With offset
// 0 this is span / size, the slot count from before offsets existed.
inline std::uint64_t dma_slots_in_window(const WorkloadParams& w) {
  const std::uint64_t per_page = dma_slots_per_page(w);
  if (per_page == 0) return 0;
  const std::uint64_t rest = w.span % kDmaPageBytes;
  const std::uint64_t in_last =
      rest > w.offset ? std::min(per_page, (rest - w.offset) / w.size) : 0;
  return w.span / kDmaPageBytes * per_page + in_last;
}

// Address of slot `index`: page index / per_page of the window, slot
// index % per_page in it. With offset 0 this is base + index x size.
inline std::uint64_t dma_slot_address(const WorkloadParams& w, std::uint64_t per_page,
                                      std::uint64_t index) {
  // The common case without a divide on the per-DMA path (size is a power
  // of two, so size-aligned slots fill each page exactly).
  if (w.offset == 0) return w.base + index * w.size;
  return w.base + index / per_page * kDmaPageBytes + w.offset + index % per_page * w.size;
}

}  // namespace iommu_sim
