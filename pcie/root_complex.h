// The root complex: root ports receive upstream requests from their links
// and the host bridge hands them to the IOMMU. One root port per endpoint in
// this first topology; switches and ACS arrive with the topology issue.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "model/stats.h"

namespace iommu_sim {

class RootComplex : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<RootComplex> root_ports;
  tlm_utils::simple_initiator_socket<RootComplex> to_iommu;

  RootComplex(sc_core::sc_module_name name, sc_core::sc_time latency, StatsRegistry& stats);

 private:
  void b_transport(int port, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);

  sc_core::sc_time latency_;
  std::uint64_t requests_ = 0;
};

}  // namespace iommu_sim
