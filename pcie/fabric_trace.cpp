// TLPs on links (model/trace.h, category fabric): a slice on the link
// direction's timeline track, from arriving at the link to reaching its
// far end, with the wait for the direction to be free and the wire time.
#include <sstream>

#include "model/trace.h"
#include "pcie/fabric.h"

namespace iommu_sim {

void PcieFabric::trace_link(int f, int link, LinkDirection d, const pcie_wire::Tlps& tlps,
                            sc_core::sc_time arrival, sc_core::sc_time done) const {
  // Functional mode's times are offsets from now.
  const sc_core::sc_time base =
      mode_ == TimingMode::Timed ? sc_core::SC_ZERO_TIME : sc_core::sc_time_stamp();
  const PcieLink& l = *links_[static_cast<std::size_t>(link)];
  const char* dir = d == LinkDirection::Up ? "up" : "down";
  const std::uint64_t id = trace::next_id();
  for (const trace::Phase phase : {trace::Phase::Begin, trace::Phase::End}) {
    trace::Event e;
    e.category = trace::Category::Fabric;
    e.phase = phase;
    e.what = phase == trace::Phase::Begin ? "link.enter" : "link.exit";
    e.time_ps = (base + (phase == trace::Phase::Begin ? arrival : done)).value();
    e.requester = t_.nodes[static_cast<std::size_t>(f)].requester_id.rid();
    std::ostringstream t;
    t << tlps.count << " TLP" << (tlps.count == 1 ? "" : "s") << " (" << tlps.wire_bytes
      << " wire bytes) " << (phase == trace::Phase::Begin ? "enter" : "leave") << " link "
      << l.name() << ' ' << dir;
    if (phase == trace::Phase::End) {
      t << ": " << trace::ns((done - arrival).value()) << " ns for waiting, the wire ("
        << l.tlp_gbps() << " Gb/s of TLPs) and "
        << "pcie.link_latency_ns";
    }
    e.text = t.str();
    e.fields = {{"tlps", tlps.count}, {"wire_bytes", tlps.wire_bytes}};
    e.track = "pcie.link." + l.name() + "." + dir;
    e.id = id;
    trace::emit(e);
  }
}

}  // namespace iommu_sim
