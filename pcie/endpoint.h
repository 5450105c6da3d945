// A PCI function: the DMA engine's requests enter at `dma_in`, leave on the
// link with the requester ID the fabric gives them stamped into PcieAttrs
// (hardware, not the workload, decides the requester ID), and cost the link
// latency.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "model/pcie_attrs.h"
#include "model/stats.h"
#include "model/timing_mode.h"

namespace iommu_sim {

class Endpoint : public sc_core::sc_module {
 public:
  // Any number of DMA engines (workloads, test probes), including none.
  tlm_utils::multi_passthrough_target_socket<Endpoint, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      dma_in;
  tlm_utils::simple_initiator_socket<Endpoint> link;

  // `function` names the statistics (pcie.<function>.*); `requester_id` is
  // what the function's requests carry on the wire: its own BDF, or for a
  // conventional PCI device its PCIe-to-PCI bridge's alias.
  Endpoint(sc_core::sc_module_name name, const std::string& function, Bdf bdf, Bdf requester_id,
           sc_core::sc_time link_latency, StatsRegistry& stats);

  Bdf bdf() const { return bdf_; }
  Bdf requester_id() const { return requester_id_; }

 private:
  void b_transport(int engine, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);

  Bdf bdf_;
  Bdf requester_id_;
  sc_core::sc_time link_latency_;
  std::uint64_t requests_ = 0, unsupported_ = 0;
};

}  // namespace iommu_sim
