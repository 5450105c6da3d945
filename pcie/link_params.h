// The parameters of one PCIe link and of the TLPs that cross it (PCIe Base
// spec 4.2 link training for generation and width; 7.5.3.4 Device Control
// for Max_Payload_Size and Max_Read_Request_Size; 7.5.3.7 Link Control for
// the Read Completion Boundary). A link is declared on the component below
// it: an endpoint (its own link), a switch's upstream port (the switch's
// uplink) or a PCIe-to-PCI bridge (its link); see docs/model.md "Links".
#pragma once

#include <cstdint>

#include "model/param.h"

namespace iommu_sim {

struct LinkParams {
  std::uint32_t gen = 3;
  std::uint32_t width = 8;
  std::uint32_t mps = 256;
  std::uint32_t mrrs = 512;
  std::uint32_t rcb = 64;

  bool operator==(const LinkParams&) const = default;

  template <class V>
  void visit(V& v) {
    v(gen,
      {"gen", "PCIe generation",
       "3: 8 GT/s, the generation of the pcie-bench devices (NFP-6000, NetFPGA-SUME) and of "
       "Broadwell to Cascade Lake Xeons",
       "Link generation: 1 (2.5 GT/s, 8b/10b), 2 (5 GT/s, 8b/10b), 3 (8 GT/s, 128b/130b), "
       "4 (16 GT/s, 128b/130b), 5 (32 GT/s, 128b/130b) (PCIe Base spec 4.2).",
       1, 5},
      "pcie.link.<name>.*.utilisation, workload.*.throughput_gbps, workload.*.latency");
    v(width,
      {"width", "lanes", "8: a x8 NIC, as in pcie-bench",
       "Lanes of the link: 1, 2, 4, 8 or 16 (PCIe Base spec 4.2.4.11).", 1, 16, true},
      "pcie.link.<name>.*.utilisation, workload.*.throughput_gbps");
    v(mps,
      {"mps", "bytes",
       "256: what Linux and firmware set on most servers (pcie-bench, SIGCOMM 2018)",
       "Max_Payload_Size: the largest data payload of one TLP on this link. Writes are split "
       "at it, and read completions are never longer. A path uses the smallest MPS of its "
       "links (Linux pcie_bus_safe). 128 to 4096, a power of two.",
       128, 4096, true},
      "pcie.link.<name>.*.tlps, *.bytes");
    v(mrrs,
      {"mrrs", "bytes", "512: the Linux default for most devices (pcie_set_readrq)",
       "Max_Read_Request_Size of the endpoint's DMA reads: a read is sent as one request per "
       "MRRS bytes, each taking one tag. Endpoints only. 128 to 4096, a power of two.",
       128, 4096, true},
      "pcie.link.<name>.up.tlps, pcie.<function>.tag_wait");
    v(rcb,
      {"rcb", "bytes", "64: the Read Completion Boundary of Intel root ports",
       "Read Completion Boundary the root complex uses for completions to this endpoint: a "
       "read's data comes back as one completion per naturally aligned RCB block (PCIe Base "
       "spec 2.3.1.1), which is how Intel root complexes answer. Endpoints only. 64 or 128.",
       64, 128, true},
      "pcie.link.<name>.down.tlps, *.bytes");
  }
};

}  // namespace iommu_sim
