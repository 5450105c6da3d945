#pragma once

#include <string>
#include <vector>

#include "model/param.h"

namespace iommu_sim {

struct EndpointParams {
  std::string name;

  template <class V>
  void visit(V& v) {
    v(name,
      {"name", "", "required",
       "Unique name of the PCIe function; workloads and attachments refer to it. "
       "Endpoint i sits alone behind root port i and is enumerated as bus i+1, "
       "device 0, function 0."},
      "the pcie.<name>.* counter names");
  }
};

struct PcieParams {
  double link_latency_ns = 100.0;
  double root_complex_latency_ns = 20.0;
  std::vector<EndpointParams> endpoints{EndpointParams{"nic0"}};

  template <class V>
  void visit(V& v) {
    v(link_latency_ns,
      {"link_latency_ns", "ns",
       "pcie-bench (Neugebauer et al., SIGCOMM 2018): a PCIe Gen3 x8 round "
       "trip of ~400-500 ns from device to host memory, about a quarter of it "
       "per link direction",
       "One-way latency of the endpoint-to-root-port link (TLP serialisation, "
       "PHY and data-link layers). Added to every request on its way up and "
       "to every read completion on its way down.",
       0.0, 1e6},
      "workload.*.latency");
    v(root_complex_latency_ns,
      {"root_complex_latency_ns", "ns",
       "assumed: a few cycles of root-port and host-bridge queueing",
       "Time a request spends in the root port and host bridge before "
       "it reaches the IOMMU; added once per request.",
       0.0, 1e6},
      "workload.*.latency");
    v.list(endpoints, {"endpoints", "PCIe functions, one per root port", 1, 255});
  }
};

}  // namespace iommu_sim
