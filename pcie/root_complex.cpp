#include "pcie/root_complex.h"

namespace iommu_sim {

RootComplex::RootComplex(sc_core::sc_module_name name, sc_core::sc_time latency,
                         StatsRegistry& stats)
    : sc_module(name), root_ports("root_ports"), to_iommu("to_iommu"), latency_(latency) {
  root_ports.register_b_transport(this, &RootComplex::b_transport);
  stats.counter("pcie.root_complex.requests", &requests_,
                "upstream requests forwarded to the IOMMU");
}

void RootComplex::b_transport(int, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  ++requests_;
  delay += latency_;
  to_iommu->b_transport(p, delay);
}

}  // namespace iommu_sim
