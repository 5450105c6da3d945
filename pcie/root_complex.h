// The root complex: root ports receive upstream requests from the fabric and
// the host bridge hands them to the IOMMU; what the IOMMU lets through the
// host bridge routes by address, to memory or, inside the MMIO window, back
// down the fabric to a BAR (peer-to-peer through the root complex).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "model/direct_target_socket.h"
#include "model/stats.h"

namespace iommu_sim {

class RootComplex : public sc_core::sc_module {
  // The sockets' targets, declared before they name them.
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void route(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);

 public:
  // The fabric's one link up.
  DirectTargetSocket<RootComplex, &RootComplex::b_transport> root_ports;
  tlm_utils::simple_initiator_socket<RootComplex> to_iommu;
  DirectTargetSocket<RootComplex, &RootComplex::route> from_iommu;
  tlm_utils::simple_initiator_socket<RootComplex> to_memory;
  tlm_utils::simple_initiator_socket<RootComplex> to_fabric;

  RootComplex(sc_core::sc_module_name name, sc_core::sc_time latency, std::uint64_t mmio_base,
              std::uint64_t mmio_size, StatsRegistry& stats);

 private:
  sc_core::sc_time latency_;
  std::uint64_t mmio_base_, mmio_size_;
  std::uint64_t requests_ = 0;
};

}  // namespace iommu_sim
