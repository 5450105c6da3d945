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
        [&dir, &stats] {
          // Over the time since the statistics' epoch (a warm-up's end).
          const std::uint64_t now = sc_core::sc_time_stamp().value(), from = stats.epoch_ps();
          const double t = now > from ? static_cast<double>(now - from) : 0.0;
          return t == 0 ? 0.0 : static_cast<double>(dir.busy_ps) / t;
        },
        "share of the simulated time the direction carried TLPs (its TLP rate after DLLP "
        "overhead)");
    stats.histogram(prefix + ".queue_delay", &dir.queue_delay, "ns",
                    "time a TLP waited for the direction to be free (Timed mode)");
  }
  stats.on_restart([this](std::uint64_t /*epoch_ps*/) {
    for (Direction& dir : dir_) dir.busy_ps = 0;
  });
}

sc_time PcieLink::serialisation(std::uint64_t wire_bytes) const {
  const double ps = std::ceil(static_cast<double>(wire_bytes) * ps_per_byte_ - 1e-9);
  return sc_time::from_value(static_cast<sc_dt::uint64>(ps));
}

}  // namespace iommu_sim
