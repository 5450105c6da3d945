// A device model's DMA: a read or write of host memory at a bus address,
// sent through its function's endpoint (no PASID: a kernel-owned device's
// requests use RID_PASID) in pieces that do not cross a 4 KiB page (PCIe
// Base spec 2.2.7), each waited for in simulated time.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <algorithm>
#include <cstdint>
#include <systemc>
#include <tlm>

#include "model/pcie_attrs.h"

namespace iommu_sim {

// True when every piece completed successfully.
template <class Socket>
bool device_dma(Socket& socket, std::uint64_t address, std::uint8_t* data, std::uint64_t length,
                bool write) {
  constexpr std::uint64_t kPage = 4096;
  bool ok = true;
  PcieAttrs attrs;
  tlm::tlm_generic_payload p;
  p.set_extension(&attrs);
  for (std::uint64_t done = 0; done < length;) {
    const std::uint64_t at = address + done;
    const auto piece = static_cast<std::uint32_t>(std::min(length - done, kPage - at % kPage));
    attrs = PcieAttrs{};
    p.set_address(at);
    p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_data_ptr(data + done);
    p.set_data_length(piece);
    p.set_streaming_width(piece);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(p, delay);
    if (delay != sc_core::SC_ZERO_TIME) sc_core::wait(delay);
    ok = ok && p.is_response_ok();
    done += piece;
  }
  p.clear_extension(&attrs);
  return ok;
}

}  // namespace iommu_sim
