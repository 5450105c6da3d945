#include "pcie/link.h"

#include <cmath>

namespace iommu_sim {

using sc_core::sc_time;

PcieLink::PcieLink(const std::string& name, const LinkParams& params, std::uint32_t mps,
                   TimingMode mode, bool bandwidth, StatsRegistry& stats)
    : name_(name),
      mode_(mode),
      bandwidth_(bandwidth),
      tlp_gbps_(pcie_wire::tlp_gbps(params, mps)),
      ps_per_byte_(8000.0 / tlp_gbps_) {
  for (const LinkDirection d : {LinkDirection::Up, LinkDirection::Down}) {
    Direction& dir = dir_[static_cast<std::size_t>(d)];
    const std::string prefix = "pcie.link." + name + (d == LinkDirection::Up ? ".up" : ".down");
    const std::string_view towards =
        d == LinkDirection::Up ? "towards the root complex" : "away from the root complex";
    stats.counter(prefix + ".tlps", &dir.tlps, std::string("TLPs sent ") + std::string(towards));
    stats.counter(prefix + ".bytes", &dir.bytes,
                  "wire bytes of those TLPs: header, payload, sequence number, LCRC, framing");
    stats.derived(
        prefix + ".utilisation",
        [&dir] {
          const double now = static_cast<double>(sc_core::sc_time_stamp().value());
          return now == 0 ? 0.0 : static_cast<double>(dir.busy_ps) / now;
        },
        "share of the simulated time the direction carried TLPs (its TLP rate after DLLP "
        "overhead)");
    stats.histogram(prefix + ".queue_delay", &dir.queue_delay, "ns",
                    "time a TLP waited for the direction to be free (Timed mode)");
  }
}

sc_time PcieLink::serialisation(std::uint64_t wire_bytes) const {
  const double ps = std::ceil(static_cast<double>(wire_bytes) * ps_per_byte_ - 1e-9);
  return sc_time::from_value(static_cast<sc_dt::uint64>(ps));
}

}  // namespace iommu_sim
