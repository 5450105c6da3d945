#include "iommu/table_port.h"

namespace iommu_sim {

bool TablePort::send_pooled(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data,
                            std::size_t len, sc_core::sc_time& delay) {
  std::unique_ptr<tlm::tlm_generic_payload> p;
  if (free_.empty()) {
    p = std::make_unique<tlm::tlm_generic_payload>();
  } else {
    p = std::move(free_.back());
    free_.pop_back();
  }
  const bool ok = send(*p, cmd, addr, data, len, delay);
  free_.push_back(std::move(p));
  return ok;
}

bool TablePort::read_cached(std::uint64_t addr, std::span<std::uint8_t> out,
                            sc_core::sc_time latency, sc_core::sc_time& delay) {
  tlm::tlm_generic_payload p;
  p.set_command(tlm::TLM_READ_COMMAND);
  p.set_address(addr);
  p.set_data_ptr(out.data());
  p.set_data_length(static_cast<unsigned>(out.size()));
  p.set_streaming_width(static_cast<unsigned>(out.size()));
  if (socket_->transport_dbg(p) != out.size()) return false;
  delay += latency;
  sync_to(mode_, delay);
  return true;
}

bool TablePort::atomic_or(std::uint64_t addr, std::uint64_t bits, sc_core::sc_time& delay) {
  std::uint64_t value = 0;
  tlm::tlm_generic_payload p;
  p.set_command(tlm::TLM_READ_COMMAND);
  p.set_address(addr);
  p.set_data_ptr(reinterpret_cast<std::uint8_t*>(&value));
  p.set_data_length(8);
  p.set_streaming_width(8);
  if (socket_->transport_dbg(p) != 8) return false;
  value |= bits;
  return write(addr, std::span(reinterpret_cast<const std::uint8_t*>(&value), 8), delay);
}

}  // namespace iommu_sim
