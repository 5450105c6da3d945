#include "iommu/table_port.h"

namespace iommu_sim {

bool TablePort::access(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data,
                       std::size_t len, sc_core::sc_time& delay) {
  std::unique_ptr<tlm::tlm_generic_payload> p;
  if (free_.empty()) {
    p = std::make_unique<tlm::tlm_generic_payload>();
  } else {
    p = std::move(free_.back());
    free_.pop_back();
  }
  p->set_command(cmd);
  p->set_address(addr);
  p->set_data_ptr(data);
  p->set_data_length(static_cast<unsigned>(len));
  p->set_streaming_width(static_cast<unsigned>(len));
  p->set_byte_enable_ptr(nullptr);
  p->set_dmi_allowed(false);
  p->set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  ++(cmd == tlm::TLM_READ_COMMAND ? reads_ : writes_);
  // The access reaches memory at the current time plus `delay`; in Timed
  // mode callers enter with a synchronised (zero) delay.
  socket_->b_transport(*p, delay);
  const bool ok = p->is_response_ok();
  free_.push_back(std::move(p));
  sync_to(mode_, delay);
  return ok;
}

}  // namespace iommu_sim
