// A PCIe function: the DMA engine's requests enter at `dma_in`, leave on the
// link with this function's requester ID stamped into PcieAttrs (hardware,
// not the workload, decides the requester ID), and cost the link latency.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "model/pcie_attrs.h"
#include "model/stats.h"
#include "model/timing_mode.h"

namespace iommu_sim {

class Endpoint : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Endpoint> dma_in;
  tlm_utils::simple_initiator_socket<Endpoint> link;

  Endpoint(sc_core::sc_module_name name, Bdf bdf, sc_core::sc_time link_latency,
           StatsRegistry& stats);

  Bdf bdf() const { return bdf_; }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);

  Bdf bdf_;
  sc_core::sc_time link_latency_;
  std::uint64_t requests_ = 0, unsupported_ = 0;
};

}  // namespace iommu_sim
