#pragma once

#include <cstdint>

#include "model/param.h"

namespace iommu_sim {

struct MemoryParams {
  double latency_ns = 80.0;
  double bandwidth_gbps = 25.6;
  std::uint32_t channels = 1;
  std::uint64_t interleave_bytes = 4096;
  std::uint32_t address_bits = 46;
  double llc_latency_ns = 30.0;
  std::uint64_t llc_bytes = 25ull << 20;

  template <class V>
  void visit(V& v) {
    v(latency_ns,
      {"latency_ns", "ns",
       "DDR4 loaded-latency order of magnitude (~80 ns idle DRAM access from the "
       "uncore); Intel MLC idle latency on Xeon servers is 70-90 ns",
       "Fixed access latency of every read or write, after any queueing. Moves "
       "memory.queue_delay (no), every translation and DMA latency (yes).",
       0.0, 1e6},
      "iommu.translation_latency, workload.*.latency");
    v(bandwidth_gbps,
      {"bandwidth_gbps", "GB/s (1e9 bytes/s)",
       "one DDR4-3200 channel: 3200 MT/s x 8 bytes = 25.6 GB/s",
       "Transfer rate of one memory channel; a request occupies its channel for "
       "bytes/bandwidth and later requests to that channel queue behind it "
       "(memory.queue_delay).",
       0.001, 1e6},
      "memory.queue_delay, iommu.translation_latency, workload.*.latency");
    v(channels,
      {"channels", "channels",
       "1: one channel, the simplest contention model (servers have 6-12 DDR channels per "
       "socket)",
       "Independent memory channels, each with its own queue and memory.bandwidth_gbps. "
       "Addresses interleave across them every memory.interleave_bytes. With more than one, a "
       "write to an idle channel can complete before an earlier one queued on a busy channel: "
       "the reordering the VT-d drain flags (DR/DW) exist for.",
       1, 64},
      "memory.queue_delay, iommu.qi.drain_time");
    v(interleave_bytes,
      {"interleave_bytes", "bytes",
       "4 KiB: page interleave, so one DMA (never crossing 4 KiB) uses one channel",
       "Consecutive blocks of this size go to consecutive channels (block / channels). A "
       "request spanning several blocks occupies each of their channels with its share; it "
       "completes when the last share does.",
       64, 1ull << 30, true},
      "memory.queue_delay");
    v(address_bits,
      {"address_bits", "bits", "VT-d host address width (HAW) of 46 bits on recent Xeon platforms",
       "Physical address width; an access beyond it gets an address-error "
       "response (memory.address_errors).",
       32, 52},
      "memory.address_errors");
    v(llc_latency_ns,
      {"llc_latency_ns", "ns",
       "assumed: 30 ns, the low end of the L3 hit latency AnandTech measured with LMBench on "
       "a Xeon E5-2699 v4 (Broadwell-EP, 27-42 ns from a core, \"Intel Skylake-EP vs AMD "
       "EPYC 7000\", 2017); the I/O hub sits on the same ring as the cores' L3 slices",
       "Latency of a DMA read or write to a line resident in the host's last-level cache "
       "(workloads[].host_cache warm): served without occupying a DRAM channel. Page-walk "
       "reads use iommu.walk_llc_* instead.",
       0.0, 1e6},
      "memory.llc_hits, workload.*.latency, workload.*.throughput_gbps");
    v(llc_bytes,
      {"llc_bytes", "bytes",
       "25 MiB: the L3 of a 10-core Broadwell-EP (Xeon E5-2630 v4), 2.5 MB per core "
       "(AnandTech, \"The Intel Xeon E5 v4 Review\", 2016)",
       "Capacity of the last-level cache: a warm workload finds the last min(span, llc_bytes) "
       "bytes of its window resident (what a sequential CPU pass leaves in an LRU cache).",
       0, 1ull << 40},
      "memory.llc_hits");
  }
};

}  // namespace iommu_sim
