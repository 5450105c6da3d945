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
  }
};

}  // namespace iommu_sim
