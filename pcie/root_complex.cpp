#include "pcie/root_complex.h"

#include "model/pcie_attrs.h"

namespace iommu_sim {

RootComplex::RootComplex(sc_core::sc_module_name name, sc_core::sc_time latency,
                         std::uint64_t mmio_base, std::uint64_t mmio_size, StatsRegistry& stats)
    : sc_module(name),
      root_ports("root_ports", this),
      to_iommu("to_iommu"),
      from_iommu("from_iommu", this),
      to_memory("to_memory"),
      to_fabric("to_fabric"),
      latency_(latency),
      mmio_base_(mmio_base),
      mmio_size_(mmio_size) {
  stats.counter("pcie.root_complex.requests", &requests_,
                "upstream requests forwarded to the IOMMU");
}

void RootComplex::b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  ++requests_;
  delay += latency_;
  to_iommu->b_transport(p, delay);
}

void RootComplex::route(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  const std::uint64_t a = p.get_address();
  if (a >= mmio_base_ && a - mmio_base_ < mmio_size_) {
    to_fabric->b_transport(p, delay);
  } else {
    to_memory->b_transport(p, delay);
    // No memory at the address (inside the host address width, past the
    // end of memory): the host bridge completes a read with Unsupported
    // Request (PCIe Base Spec 6.0 2.3.1), as it does any request it cannot
    // service; a posted write is dropped and only counted
    // (memory.address_errors), but its attributes say the same.
    if (p.is_response_error()) [[unlikely]] {
      if (auto* attrs = p.get_extension<PcieAttrs>()) {
        attrs->completion = CompletionStatus::UnsupportedRequest;
      }
    }
  }
}

}  // namespace iommu_sim
