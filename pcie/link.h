// One PCIe link with bandwidth: each direction is a server that carries one
// TLP at a time, for its wire size / the link's TLP rate (pcie/tlp_wire.h),
// first come first served. Timed mode keeps when each direction is free
// again (busy-until accounting, as the memory channels do), so a request on
// an idle link costs no SystemC wait; a TLP that finds the direction busy
// waits behind the TLPs before it. Functional mode adds the serialisation
// time without contention. The fixed PHY and data-link latency
// (pcie.link_latency_ns) is the fabric's to add.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <systemc>

#include "model/stats.h"
#include "model/timing_mode.h"
#include "pcie/link_params.h"
#include "pcie/tlp_wire.h"

namespace iommu_sim {

enum class LinkDirection : std::uint8_t { Up, Down };

class PcieLink {
 public:
  // `mps` is the largest payload crossing it (for the DLLP overhead);
  // statistics go under pcie.link.<name>. A link without `bandwidth`
  // (pcie.link_model = latency) counts TLPs and bytes but takes no time.
  PcieLink(const std::string& name, const LinkParams& params, std::uint32_t mps, TimingMode mode,
           bool bandwidth, StatsRegistry& stats);
  PcieLink(const PcieLink&) = delete;
  PcieLink& operator=(const PcieLink&) = delete;

  // Carries `tlps` arriving at `arrival` (absolute time in Timed mode, the
  // annotated offset in Functional mode) in direction `d`; returns when the
  // last byte has crossed.
  // Inline: twice per DMA, on every path.
  sc_core::sc_time carry(LinkDirection d, const pcie_wire::Tlps& tlps, sc_core::sc_time arrival) {
    Direction& dir = dir_[static_cast<std::size_t>(d)];
    dir.tlps += tlps.count;
    dir.bytes += tlps.wire_bytes;
    if (!bandwidth_) return arrival;
    if (tlps.wire_bytes != dir.last_bytes) {
      dir.last_time = serialisation(tlps.wire_bytes);
      dir.last_bytes = tlps.wire_bytes;
    }
    const sc_core::sc_time busy = dir.last_time;
    dir.busy_ps += busy.value();
    if (mode_ == TimingMode::Functional) return arrival + busy;
    const sc_core::sc_time start = arrival > dir.busy_until ? arrival : dir.busy_until;
    dir.queue_delay.record((start - arrival).value());
    dir.busy_until = start + busy;
    return dir.busy_until;
  }
  // Time `wire_bytes` occupy a direction, rounded up to a picosecond.
  sc_core::sc_time serialisation(std::uint64_t wire_bytes) const;
  double tlp_gbps() const { return tlp_gbps_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  struct Direction {
    sc_core::sc_time busy_until = sc_core::SC_ZERO_TIME;
    // Streams repeat one burst size: its serialisation, remembered.
    std::uint64_t last_bytes = ~0ull;
    sc_core::sc_time last_time;
    std::uint64_t tlps = 0, bytes = 0;
    std::uint64_t busy_ps = 0;
    Histogram queue_delay;
  };

  TimingMode mode_;
  bool bandwidth_;
  double tlp_gbps_;
  double ps_per_byte_;
  std::array<Direction, 2> dir_;
};

}  // namespace iommu_sim
