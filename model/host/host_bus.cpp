#include "model/host/host_bus.h"

#include <stdexcept>

namespace iommu_sim {

HostBus::HostBus(sc_core::sc_module_name name) : sc_module(name), mem("mem"), mmio("mmio") {}

bool HostBus::can_wait() {
  if (!sc_core::sc_is_running()) return false;
  const auto h = sc_core::sc_get_current_process_handle();
  return h.valid() && h.proc_kind() == sc_core::SC_THREAD_PROC_;
}

namespace {
void debug_access(tlm_utils::simple_initiator_socket<HostBus>& s, tlm::tlm_command cmd,
                  std::uint64_t addr, std::uint8_t* data, std::size_t len) {
  tlm::tlm_generic_payload p;
  p.set_command(cmd);
  p.set_address(addr);
  p.set_data_ptr(data);
  p.set_data_length(static_cast<unsigned>(len));
  if (s->transport_dbg(p) != len) {
    // The host only touches memory it allocated: a failure is a model bug.
    throw std::logic_error("host memory access failed at " + std::to_string(addr) + ": " +
                           p.get_response_string());
  }
}
}  // namespace

void HostBus::write(std::uint64_t addr, std::span<const std::uint8_t> data) {
  debug_access(mem, tlm::TLM_WRITE_COMMAND, addr, const_cast<std::uint8_t*>(data.data()),
               data.size());
}

void HostBus::read(std::uint64_t addr, std::span<std::uint8_t> data) {
  debug_access(mem, tlm::TLM_READ_COMMAND, addr, data.data(), data.size());
}

std::uint64_t HostBus::mmio_access(tlm::tlm_command cmd, std::uint64_t offset, unsigned size,
                                   std::uint64_t value) {
  tlm::tlm_generic_payload p;
  p.set_command(cmd);
  p.set_address(offset);
  p.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  p.set_data_length(size);
  p.set_streaming_width(size);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  mmio->b_transport(p, delay);
  if (!p.is_response_ok()) throw std::logic_error("IOMMU register access failed");
  if (can_wait()) sc_core::wait(delay);
  return size == 4 ? (value & 0xffffffffull) : value;
}

std::uint64_t HostBus::mmio_read(std::uint64_t offset, unsigned size) {
  return mmio_access(tlm::TLM_READ_COMMAND, offset, size, 0);
}

void HostBus::mmio_write(std::uint64_t offset, unsigned size, std::uint64_t value) {
  mmio_access(tlm::TLM_WRITE_COMMAND, offset, size, value);
}

}  // namespace iommu_sim
