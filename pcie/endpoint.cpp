#include "pcie/endpoint.h"

namespace iommu_sim {

Endpoint::Endpoint(sc_core::sc_module_name name, const std::string& function, Bdf bdf,
                   Bdf requester_id, sc_core::sc_time link_latency, StatsRegistry& stats)
    : sc_module(name),
      dma_in("dma_in"),
      link("link"),
      bdf_(bdf),
      requester_id_(requester_id),
      link_latency_(link_latency) {
  dma_in.register_b_transport(this, &Endpoint::b_transport);
  const std::string prefix = "pcie." + function;
  stats.counter(prefix + ".requests", &requests_, "DMA requests this function sent upstream");
  stats.counter(prefix + ".unsupported_request", &unsupported_,
                "requests answered with Unsupported Request (blocked by the IOMMU)");
}

void Endpoint::b_transport(int, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  auto* attrs = p.get_extension<PcieAttrs>();
  if (attrs == nullptr) {
    // A workload bug, not a model state: refuse the request visibly.
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  attrs->requester_id = requester_id_.rid();
  attrs->completion = CompletionStatus::Success;
  ++requests_;
  delay += link_latency_;
  link->b_transport(p, delay);
  if (attrs->completion == CompletionStatus::UnsupportedRequest) ++unsupported_;
  // A read's completion crosses the link back; a posted write has none.
  if (p.is_read()) delay += link_latency_;
}

}  // namespace iommu_sim
